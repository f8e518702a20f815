using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Bot.Core.Tests.Chat;

/// <summary>Reminders to post status updates, as durable jobs on a fake clock.</summary>
public abstract class UpdateReminderTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly Actor Alice = new("U1", "alice");

    private sealed class Harness
    {
        public Harness(TestStore t, TimeSpan every)
        {
            T = t;
            var options = Options.Create(new IncidentOptions { UpdateEvery = every });
            Chat.Setup(c => c.CreateChannelAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .ReturnsAsync(new ChatChannel("C1", "inc-x"));
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => Posts.Add(ChatText.Shown(m.Text)))
                .ReturnsAsync(new ChatMessageRef("C1", "1"));
            Chat.Setup(c => c.AnnounceAsync(It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C0", "1"));
            Commands = new IncidentCommands(t.Store, t.Store, new IncidentRules(options), t.Time);
            Dispatcher = new TestPipeline(t, Chat.Object, options.Value).Dispatcher;
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Posts { get; } = [];

        public IncidentCommands Commands { get; }

        public OutboxDispatcher Dispatcher { get; }

        public List<string> Reminders => Posts.Where(p => p.Contains("no status update")).ToList();

        public async Task RunAsync(string text, long? incident = 1) =>
            Assert.True((await Commands.ExecuteAsync(text, new CommandContext(Alice, incident))).Ok, text);

        /// <summary>Moves the clock minute by minute, running the outbox at each step.</summary>
        public async Task PassAsync(TimeSpan span)
        {
            for (var i = 0; i < span.TotalMinutes; i++)
            {
                T.Time.Advance(TimeSpan.FromMinutes(1));
                while (await Dispatcher.RunOnceAsync(CancellationToken.None) > 0)
                {
                }
            }
        }
    }

    [Fact]
    public async Task NoUpdate_RemindsTheLeadEveryPeriod_UntilResolved()
    {
        await using var t = NewStore();
        var h = new Harness(t, TimeSpan.FromMinutes(30));
        await h.RunAsync("declare Checkout down", null);
        await h.RunAsync("lead <@U1|alice>");

        await h.PassAsync(TimeSpan.FromMinutes(29));
        Assert.Empty(h.Reminders);
        await h.PassAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["<@U1>: no status update on INC-1 for 30 min. Post one with /incident update <text>."], h.Reminders);
        await h.PassAsync(TimeSpan.FromMinutes(30));
        Assert.Equal(2, h.Reminders.Count);

        await h.RunAsync("resolve");
        await h.PassAsync(TimeSpan.FromHours(2));
        Assert.Equal(2, h.Reminders.Count);
    }

    [Fact]
    public async Task AnUpdate_PushesTheNextReminderBack()
    {
        await using var t = NewStore();
        var h = new Harness(t, TimeSpan.FromMinutes(30));
        await h.RunAsync("declare Checkout down", null);

        await h.PassAsync(TimeSpan.FromMinutes(20));
        await h.RunAsync("update Rolling back");
        await h.PassAsync(TimeSpan.FromMinutes(29)); // 49 min after opening, 29 after the update
        Assert.Empty(h.Reminders);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["No lead is named yet: no status update on INC-1 for 30 min. Post one with /incident update <text>."], h.Reminders);
    }

    [Fact]
    public async Task Reminders_SurviveARestart()
    {
        await using var t = NewStore();
        var h = new Harness(t, TimeSpan.FromMinutes(30));
        await h.RunAsync("declare Checkout down", null);
        await h.PassAsync(TimeSpan.FromMinutes(10));

        await t.ReopenAsync();
        var restarted = new Harness(t, TimeSpan.FromMinutes(30));
        await restarted.PassAsync(TimeSpan.FromMinutes(20));

        Assert.Single(restarted.Reminders);
    }

    [Fact]
    public async Task TurnedOff_NoReminders()
    {
        await using var t = NewStore();
        var h = new Harness(t, TimeSpan.Zero);
        await h.RunAsync("declare Checkout down", null);

        await h.PassAsync(TimeSpan.FromHours(2));

        Assert.Empty(h.Reminders);
    }
}

public sealed class UpdateReminderTestsInMemory() : UpdateReminderTests(StoreEngine.Memory);
