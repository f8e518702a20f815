using Bot.Slack.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bot.Core.Tests.Slack;

/// <summary>The local chat's idempotency across processes sharing its folder (replicas, restarts).</summary>
public sealed class LocalChatTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bot-localchat", Guid.NewGuid().ToString("n"));

    private LocalChat Chat() => new(Options.Create(new LocalChatOptions { Directory = _folder }), TimeProvider.System, NullLogger<LocalChat>.Instance);

    [Fact]
    public async Task TwoProcesses_SameKey_OneChannel_OneMessage()
    {
        var a = Chat();
        var b = Chat(); // started before a wrote anything: nothing in its memory

        var first = await a.CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        var again = await b.CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        await a.PostAsync(first.Id, new Core.Chat.ChatMessage("hello"), "INC-1:hello", CancellationToken.None);
        await b.PostAsync(first.Id, new Core.Chat.ChatMessage("hello"), "INC-1:hello", CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Single(File.ReadLines(Path.Combine(_folder, "channels.jsonl")));
        Assert.Equal(2, File.ReadLines(Path.Combine(_folder, "inc-20261125-ddos.jsonl")).Count()); // created, hello
    }

    [Fact]
    public async Task AProcessKilledAfterClaimingAKey_ItsRecordIsWrittenByTheRetry()
    {
        var channel = await Chat().CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        // The process died after claiming the key and before writing its logs.
        File.Delete(Path.Combine(_folder, "channels.jsonl"));
        File.Delete(Path.Combine(_folder, "inc-20261125-ddos.jsonl"));

        var retry = Chat();
        var again = await retry.CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        var other = await retry.CreateChannelAsync("inc-20261125-ddos", "SEV2", "INC-2:open", CancellationToken.None);

        Assert.Equal(channel, again);
        Assert.Equal("inc-20261125-ddos-2", other.Name); // the name is known as taken again
        Assert.Equal(2, File.ReadLines(Path.Combine(_folder, "channels.jsonl")).Count());
        Assert.Single(File.ReadLines(Path.Combine(_folder, "inc-20261125-ddos.jsonl")));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
