using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Chat;

/// <summary>
/// A summary's refresh updates the pinned summary, and the channel's topic only when it changed: a storm's refreshes,
/// every 2 s, change the counts, not the topic, and Slack allows about 20 topic changes a minute. Refreshes left behind
/// (the chat rate-limited them) send nothing when a later one is due: that one shows the same and more.
/// </summary>
public abstract class RefreshSummaryTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private sealed class Harness
    {
        public Harness(TestStore t)
        {
            T = t;
            Chat.Setup(c => c.UpdateAsync(It.IsAny<ChatMessageRef>(), It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
            Chat.Setup(c => c.SetTopicAsync("C1", It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, string, CancellationToken>((_, topic, _) => Topics.Add(topic))
                .Returns(Task.CompletedTask);
            Handler = new RefreshSummaryHandler(t.Store, t.Store, Chat.Object, t.Store);
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Topics { get; } = [];

        public RefreshSummaryHandler Handler { get; }

        public int Updates => Chat.Invocations.Count(i => i.Method.Name == nameof(IChat.UpdateAsync));

        /// <summary>Runs the due refreshes as the outbox worker does: one at a time for the incident, in their order (the rest done unrun).</summary>
        public async Task RunDueAsync()
        {
            while (await T.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(10), TimeSpan.FromMinutes(1))) is { Count: > 0 } claimed)
            {
                foreach (var job in claimed)
                {
                    if (job.Kind == RefreshSummaryJob.Kind)
                    {
                        await Handler.HandleAsync(System.Text.Json.JsonSerializer.Deserialize(job.Payload, RefreshSummaryJob.Json)!, job, CancellationToken.None);
                    }

                    await T.Store.WriteAsync(s => { s.CompleteJob(job); return 0; });
                }
            }
        }
    }

    private async Task<Harness> StormingIncidentAsync(TestStore t)
    {
        await t.IngestAsync(Batch("g1", Firing("first", T0)));
        await t.AttachChannelAsync(1, "C1", "S1");
        var h = new Harness(t);
        await h.RunDueAsync(); // what opening the incident asked for, and its first refresh
        h.Chat.Invocations.Clear();
        h.Topics.Clear();
        return h;
    }

    [Fact]
    public async Task AStormsRefreshes_UpdateTheSummaryEachTime_AndSetTheTopicOnlyWhenItChanged()
    {
        await using var t = NewStore();
        var h = await StormingIncidentAsync(t);

        for (var i = 0; i < 5; i++)
        {
            await t.IngestAsync(Batch("g1", Firing($"a{i}", T0)));
            t.Time.Advance(RefreshSummaryJob.Length + RefreshSummaryJob.Settle);
            await h.RunDueAsync();
        }

        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            s.AppendTimeline(1, i.Acknowledge(new Actor("U1", "alice"), s.Now));
            s.UpdateIncident(i);
            IncidentOpening.Changed(s, 1);
            return 0;
        });
        t.Time.Advance(RefreshSummaryJob.Length + RefreshSummaryJob.Settle);
        await h.RunDueAsync();
        await t.IngestAsync(Batch("g1", Firing("after", T0)));
        t.Time.Advance(RefreshSummaryJob.Length + RefreshSummaryJob.Settle);
        await h.RunDueAsync();

        Assert.Equal(7, h.Updates);
        Assert.Equal(2, h.Topics.Count); // once triggered, once acknowledged
        Assert.Contains("| triggered |", h.Topics[0]);
        Assert.Contains("| acknowledged |", h.Topics[1]);
    }

    [Fact]
    public async Task RefreshesLeftBehind_SendNothing_WhenALaterOneIsDue_AndTheLatestUpdates()
    {
        await using var t = NewStore();
        var h = await StormingIncidentAsync(t);
        for (var i = 0; i < 3; i++)
        {
            await t.IngestAsync(Batch("g1", Firing($"a{i}", T0)));
            t.Time.Advance(RefreshSummaryJob.Length);
        }

        t.Time.Advance(TimeSpan.FromMinutes(1)); // the chat held them back: all three windows' refreshes are due
        await h.RunDueAsync();

        Assert.Equal(1, h.Updates);
    }
}

public sealed class RefreshSummaryTestsInMemory() : RefreshSummaryTests(StoreEngine.Memory);
