using System.Collections.Concurrent;
using Bot.Core.Effects;
using Bot.Core.Ports;
using Bot.Slack.Handlers;
using Bot.Slack.SocketMode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Bot.Slack.Tests.SocketMode;

/// <summary>
/// The Socket Mode client against a stand-in that plays Slack's side (tests/Shared/FakeSocketSlack.cs), with the bot's
/// handlers replaced by the test's: it must keep serving whatever Slack does, and answer every envelope in time.
/// </summary>
public sealed class SocketModeClientTests : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly ConcurrentQueue<(string Url, string Text)> _answersLater = new();

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Enumerable.Reverse(_cleanup))
        {
            await d.DisposeAsync();
        }
    }

    private async Task<(FakeSocketSlack Slack, SocketModeClient Client)> StartAsync(
        ISlashCommandHandler commands, TimeProvider? time = null, TimeSpan? httpTimeout = null, Action<FakeSocketSlack>? before = null)
    {
        var slack = await FakeSocketSlack.StartAsync();
        _cleanup.Add(slack);
        before?.Invoke(slack);
        var http = new ServiceCollection();
        http.AddHttpClient(SocketModeClient.HttpClientName, c => c.Timeout = httpTimeout ?? TimeSpan.FromSeconds(15));
        var responder = new Mock<ISlackResponder>();
        responder.Setup(r => r.RespondAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()))
            .Callback<string, string, bool, CancellationToken>((url, text, _, _) => _answersLater.Enqueue((url, text)))
            .Returns(Task.CompletedTask);
        var clock = time ?? TimeProvider.System;
        var inbound = new SlackInbound(
            commands, Mock.Of<IBlockActionHandler>(), [Mock.Of<IViewSubmissionHandler>()], Mock.Of<IUnitOfWork<IOutbox>>(), responder.Object, [], clock, NullLogger<SlackInbound>.Instance);
        var client = new SocketModeClient(
            Options.Create(new SlackOptions { AppToken = FakeSocketSlack.AppToken, ApiBaseUrl = slack.ApiBaseUrl }),
            http.BuildServiceProvider().GetRequiredService<IHttpClientFactory>(),
            inbound,
            clock,
            NullLogger<SocketModeClient>.Instance);
        await client.StartAsync(CancellationToken.None);
        _cleanup.Add(new Stopper(client));
        return (slack, client);
    }

    private static object Command(string envelope, string text, string? responseUrl = null) => new
    {
        envelope_id = envelope,
        type = "slash_commands",
        accepts_response_payload = true,
        payload = new { command = "/incident", text, user_id = "U1", user_name = "alice", channel_id = "C1", team_id = "T1", response_url = responseUrl },
    };

    [Fact]
    public async Task ConnectionsOpenSlowerThanTheClientWaits_IsTriedAgain_AndNeverStopsTheHost()
    {
        // The finding: an apps.connections.open slower than the client's timeout threw out of the reconnect loop, and the
        // background service's failure stopped the whole process (webhooks and paging with it).
        var handler = new Mock<ISlashCommandHandler>();
        handler.Setup(h => h.Handle(It.IsAny<SlashCommand>())).ReturnsAsync(new SlashCommandResponse { Text = "ok" });
        var (fake, client) = await StartAsync(
            handler.Object, httpTimeout: TimeSpan.FromMilliseconds(300), before: s => s.OpenDelays.Enqueue(TimeSpan.FromSeconds(5))); // Slack hangs past the timeout

        var connection = await fake.NextConnectionAsync();
        await connection.SendAsync(Command("e1", "help"));

        Assert.Equal("e1", (await connection.ReceiveAsync()).GetProperty("envelope_id").GetString());
        Assert.True(fake.Opens >= 2);
        Assert.False(client.ExecuteTask!.IsCompleted); // still running: a failed connect is tried again, not fatal
    }

    [Fact]
    public async Task TwoCommandsInFlight_AreHandledSideBySide_EachAcknowledgedInItsOwnTime()
    {
        // Each command waits until both have started: handled one at a time, the first would wait for ever.
        var started = new ConcurrentDictionary<string, bool>();
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new Mock<ISlashCommandHandler>();
        handler.Setup(h => h.Handle(It.IsAny<SlashCommand>())).Returns(async (SlashCommand c) =>
        {
            started[c.Text] = true;
            if (started.Count == 2)
            {
                bothStarted.TrySetResult();
            }

            await bothStarted.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return new SlashCommandResponse { Text = $"done {c.Text}", ResponseType = "in_channel" };
        });
        var (slack, _) = await StartAsync(handler.Object);
        var connection = await slack.NextConnectionAsync();

        await connection.SendAsync(Command("e1", "first"));
        await connection.SendAsync(Command("e2", "second"));
        var acks = new[] { await connection.ReceiveAsync(), await connection.ReceiveAsync() };

        Assert.Equal(["e1", "e2"], acks.Select(a => a.GetProperty("envelope_id").GetString()).Order());
        Assert.All(acks, a => Assert.StartsWith("done ", a.GetProperty("payload").GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ACommandSlowerThanTheAckBudget_IsAcknowledgedInTime_AndAnsweredThroughItsResponseUrl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var release = new TaskCompletionSource<SlashCommandResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new Mock<ISlashCommandHandler>();
        handler.Setup(h => h.Handle(It.IsAny<SlashCommand>())).Returns(release.Task);
        var (slack, _) = await StartAsync(handler.Object, time);
        var connection = await slack.NextConnectionAsync();

        await connection.SendAsync(Command("e1", "tasks", "https://hooks.slack.com/commands/T1/1/x"));
        var received = connection.ReceiveAsync();
        while (!received.IsCompleted)
        {
            time.Advance(SlackInbound.AckBudget); // the command is still running when Slack's 3 s are nearly up
            await Task.WhenAny(received, Task.Delay(50));
        }

        var ack = await received;
        release.SetResult(new SlashCommandResponse { Text = "Tasks of INC-1: none yet", ResponseType = "ephemeral" });

        Assert.Equal("e1", ack.GetProperty("envelope_id").GetString());
        Assert.Equal("Working on /incident tasks...", ack.GetProperty("payload").GetProperty("text").GetString());
        var later = await Eventually(() => _answersLater.TryPeek(out var a) ? a : default, a => a.Url is not null);
        Assert.Equal(("https://hooks.slack.com/commands/T1/1/x", "Tasks of INC-1: none yet"), later);
    }

    private static async Task<T> Eventually<T>(Func<T> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var value = read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"still {value}");
            }

            await Task.Delay(20);
        }
    }

    private sealed class Stopper(SocketModeClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await client.StopAsync(CancellationToken.None);
    }
}
