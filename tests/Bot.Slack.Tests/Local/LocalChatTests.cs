using Bot.Slack.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Tests.Local;

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

    /// <summary>
    /// Two replicas sharing the folder create channels at the same moment, each appending to the list of channels. .NET's
    /// append remembers the end it saw on opening and writes there, so without a lock between them one line overwrote
    /// the other's (a replica test's list held 29 channels of 30).
    /// </summary>
    [Fact]
    public async Task TwoProcesses_CreatingChannelsAtOnce_EveryChannelIsListed()
    {
        const int PerProcess = 1000;
        async Task CreateChannels(LocalChat chat, string process)
        {
            for (var i = 0; i < PerProcess; i++)
            {
                await chat.CreateChannelAsync($"inc-{process}-{i}", "SEV2", $"INC-{process}{i}:open", CancellationToken.None);
            }
        }

        await Task.WhenAll(Task.Run(() => CreateChannels(Chat(), "a")), Task.Run(() => CreateChannels(Chat(), "b")));

        var listed = File.ReadLines(Path.Combine(_folder, "channels.jsonl")).Where(line => line.Length > 0).ToArray();
        Assert.Equal(2 * PerProcess, listed.Length);
        Assert.All(listed, line => Assert.StartsWith("{", line));
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

    [Fact]
    public async Task ALineCutShortByACrash_IsSkipped_AndTheNextRecordStartsALineOfItsOwn()
    {
        var channel = await Chat().CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        await Chat().PostAsync(channel.Id, new Core.Chat.ChatMessage("first"), "INC-1:first", CancellationToken.None);
        var log = Path.Combine(_folder, "inc-20261125-ddos.jsonl");
        File.AppendAllText(log, "{\"Id\":\"M-9\",\"Chan"); // the process died in the middle of a line

        var restarted = Chat();
        await restarted.PostAsync(channel.Id, new Core.Chat.ChatMessage("first"), "INC-1:first", CancellationToken.None); // a retry
        await restarted.PostAsync(channel.Id, new Core.Chat.ChatMessage("second"), "INC-1:second", CancellationToken.None);

        var lines = File.ReadAllLines(log);
        Assert.Equal(4, lines.Length); // created, first, the torn line, second
        Assert.Equal("{\"Id\":\"M-9\",\"Chan", lines[2]);
        Assert.Contains("second", lines[3]);
        Assert.Single(lines, l => l.Contains("\"key\":\"INC-1:first\"", StringComparison.Ordinal)); // first is not posted twice
    }

    [Fact]
    public async Task AKeyClaimedByAKilledProcess_IsRelogged_PastALineCutShortInTheSameLog()
    {
        var channel = await Chat().CreateChannelAsync("inc-20261125-ddos", "SEV1", "INC-1:open", CancellationToken.None);
        await Chat().PostAsync(channel.Id, new Core.Chat.ChatMessage("first"), "INC-1:first", CancellationToken.None);
        var log = Path.Combine(_folder, "inc-20261125-ddos.jsonl");
        // The process died after claiming INC-1:first and before its line was whole.
        File.WriteAllText(log, File.ReadLines(log).First() + "\n{\"id\":\"M-2\",\"chan");

        var retry = Chat();
        await retry.PostAsync(channel.Id, new Core.Chat.ChatMessage("first"), "INC-1:first", CancellationToken.None);

        var lines = File.ReadAllLines(log);
        Assert.Equal(3, lines.Length); // created, the torn line, first (written by the retry)
        Assert.Contains("\"key\":\"INC-1:first\"", lines[2]);
    }

    [Fact]
    public void AFolderThatCannotBeMade_StopsTheStart_NamingTheSetting()
    {
        var file = Path.GetTempFileName(); // a file where a folder should be
        try
        {
            var e = Assert.Throws<Bot.Core.BotStartupException>(() =>
                new LocalChat(Options.Create(new LocalChatOptions { Directory = Path.Combine(file, "chat") }), TimeProvider.System, NullLogger<LocalChat>.Instance));

            Assert.StartsWith($"LocalChat:Directory '{Path.Combine(file, "chat")}' cannot be used: ", e.Message);
        }
        finally
        {
            File.Delete(file);
        }
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
