using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Bot.TestKit;

/// <summary>
/// Every log entry of a bot or a part under test (a logger of its own: <see cref="CreateLogger"/>; a host's:
/// <c>LogCaptureHosting.AddTo</c> in the acceptance tests), to check what was and was not logged.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

    /// <summary>Everything logged, messages and exceptions, as one text.</summary>
    public string All => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Category} {e.Message} {e.Exception}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue((logLevel, category, formatter(state, exception), exception));
    }
}
