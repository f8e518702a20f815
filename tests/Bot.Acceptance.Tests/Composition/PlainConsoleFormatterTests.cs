using Bot.Composition;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Bot.Acceptance.Tests.Composition;

/// <summary>The console log: one line per entry, and nothing in a message can drive the terminal that shows it.</summary>
public class PlainConsoleFormatterTests
{
    private static string Write(string message, Exception? exception = null, object? scope = null)
    {
        var formatter = new PlainConsoleFormatter(new FakeTimeProvider(new DateTimeOffset(2023, 8, 5, 10, 0, 0, TimeSpan.Zero)));
        var scopes = new LoggerExternalScopeProvider();
        using var _ = scope is null ? null : scopes.Push(scope);
        var writer = new StringWriter();
        formatter.Write(new LogEntry<string>(LogLevel.Warning, "Bot.Webhooks", new EventId(0), message, exception, (s, _) => s), scopes, writer);
        return writer.ToString();
    }

    [Fact]
    public void Message_WithControlCharacters_IsOneEscapedLine()
    {
        var line = Write("alert \u001B[2J\u001B[31mred\u0000 \u202Eexe.txt\nforged: crit everything is fine");

        Assert.Equal("2023-08-05T10:00:00.000Z warn Bot.Webhooks: alert \\u001B[2J\\u001B[31mred\\u0000 \\u202Eexe.txt\\u000Aforged: crit everything is fine\n", line);
    }

    [Fact]
    public void Scopes_AndExceptions_AreEscapedToo()
    {
        var text = Write("failed", new InvalidOperationException("bad \u001B]0;title\u0007"), scope: "INC-1\u001B");

        Assert.StartsWith("2023-08-05T10:00:00.000Z warn Bot.Webhooks [INC-1\\u001B]: failed\n    System.InvalidOperationException: bad \\u001B]0;title\\u0007", text);
        Assert.DoesNotContain('\u001B', text);
        Assert.DoesNotContain('\u0007', text);
    }

    /// <summary>The outbox job's scope (a dictionary of its id, kind, key and incident) reads as its values, not as the name of its type.</summary>
    [Fact]
    public void AScopeOfNamedValues_IsWrittenAsThem()
    {
        var scope = Bot.Core.Effects.OutboxDispatcher.LogScope(new Bot.Core.Effects.EffectJob("INC-3:digest:1", "digest", "INC-3", "{}", DateTimeOffset.UnixEpoch) { Id = 7 });

        var line = Write("posted", scope: scope);

        Assert.Equal("2023-08-05T10:00:00.000Z warn Bot.Webhooks [JobId=7 JobKind=digest JobKey=INC-3:digest:1 Incident=INC-3]: posted\n", line);
    }
}
