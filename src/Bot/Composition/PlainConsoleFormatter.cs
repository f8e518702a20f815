using System.Globalization;
using Bot.Core.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Bot.Composition;

/// <summary>
/// The console log's default format, one entry per line: time (UTC), level, category, scopes, message. Messages quote
/// alerts, names and requests, so every control character, bidi override and line break in them is written as a
/// <c>\uXXXX</c> escape (<see cref="SafeText.Escape"/>): an alert cannot clear a terminal, recolour it, forge a log
/// line, or reverse what a reader sees. An exception follows on its own lines, escaped the same way line by line.
/// <c>Logging:Console:FormatterName=json</c> gives ASP.NET Core's JSON lines instead (JSON escapes them too).
/// </summary>
internal sealed class PlainConsoleFormatter(TimeProvider time) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "plain";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        textWriter.Write(' ');
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(' ');
        textWriter.Write(logEntry.Category);
        if (logEntry.EventId.Id != 0)
        {
            textWriter.Write('[');
            textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
            textWriter.Write(']');
        }

        scopeProvider?.ForEachScope(
            static (scope, writer) =>
            {
                if (scope is not null)
                {
                    writer.Write(" [");
                    writer.Write(SafeText.Escape(Text(scope)));
                    writer.Write(']');
                }
            },
            textWriter);
        textWriter.Write(": ");
        textWriter.Write(SafeText.Escape(message));
        textWriter.Write('\n');
        if (logEntry.Exception is { } exception)
        {
            foreach (var line in exception.ToString().Split('\n'))
            {
                textWriter.Write("    ");
                textWriter.Write(SafeText.Escape(line.TrimEnd('\r')));
                textWriter.Write('\n');
            }
        }
    }

    /// <summary>
    /// A scope as text: its own <see cref="object.ToString"/>, or, for a bag of named values that has none (the outbox
    /// job's dictionary), <c>Name=value</c> pairs, not the name of its type.
    /// </summary>
    private static string Text(object scope)
    {
        var text = scope.ToString() ?? "";
        return scope is IEnumerable<KeyValuePair<string, object?>> pairs && text == scope.GetType().ToString()
            ? string.Join(' ', pairs.Select(p => $"{p.Key}={Convert.ToString(p.Value, CultureInfo.InvariantCulture)}"))
            : text;
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
