using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Escalation;
using Bot.Core.Heartbeats;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.TestKit;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Heartbeats;

/// <summary>
/// Dead man's switches on a fake clock: a heartbeat that stops beating opens one incident, routed on its labels; the
/// next beat resolves it; beats in time, and Alertmanager's Watchdog alerts, open nothing.
/// </summary>
public abstract class HeartbeatTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static HeartbeatSettings Settings() => new()
    {
        Heartbeats = new(StringComparer.OrdinalIgnoreCase)
        {
            ["watchdog"] = new HeartbeatOptions
            {
                Interval = "5m",
                Grace = "1m",
                Match = ["alertname=Watchdog"],
                Labels = new() { ["team"] = "platform", ["severity"] = "critical" },
                Title = "Alertmanager stopped sending its Watchdog",
            },
        },
    };

    private static EscalationOptions Paging() => new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase) { ["platform"] = new TeamOptions { Members = [new MemberOptions { Id = "U-PAT", Name = "pat" }] } },
        EscalationPolicies = new(StringComparer.OrdinalIgnoreCase) { ["platform"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["team:platform"], Wait = "10m" }] } },
        Routes = new RouteOptions { Routes = [new RouteOptions { Match = ["team=platform"], Policies = ["platform"] }] },
    };

    private sealed class Harness
    {
        private readonly TestPipeline _pipeline;

        public Harness(TestStore t)
        {
            T = t;
            Chat.Setup(c => c.CreateChannelAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatChannel("C1", "inc-x"));
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C1", "1"));
            Chat.Setup(c => c.AnnounceAsync(It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C0", "1"));
            Chat.Setup(c => c.DirectMessageAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((u, _, _, _) => { lock (Paged) { Paged.Add(u); } })
                .ReturnsAsync(new ChatMessageRef("D1", "1"));
            _pipeline = new TestPipeline(t, Chat.Object, new IncidentOptions { UpdateEvery = TimeSpan.Zero }, Paging(), heartbeats: Settings());
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Paged { get; } = [];

        public HeartbeatMonitor Monitor => _pipeline.Heartbeats;

        public Task WatchAsync() => T.Store.WriteAsync(s => Monitor.Watch(s, "watchdog"));

        public Task BeatAsync() => T.Store.WriteAsync(s => Monitor.Beat(s, "watchdog"));

        public Task<IngestReport> WebhookAsync(params Alert[] alerts) => T.Store.WriteAsync(s => Monitor.Ingest(s, new AlertBatch("alertmanager", "{}:{}", alerts)));

        public Task PassAsync(TimeSpan span) => _pipeline.PassAsync(span, TimeSpan.FromSeconds(10));

        public Task<IReadOnlyList<Incident>> IncidentsAsync() => T.Store.ListIncidentsAsync(new IncidentQuery(null, false, 100));
    }

    private static Alert Watchdog(DateTimeOffset at) =>
        Firing("wd", at) with { Labels = LabelSet.From([new("alertname", "Watchdog"), new("severity", "none")]) };

    [Fact]
    public async Task BeatsInTime_OpenNothing_ThroughManyIntervals()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.WatchAsync();

        for (var i = 0; i < 6; i++)
        {
            await h.PassAsync(TimeSpan.FromMinutes(5)); // a beat every 5 minutes, the interval: never late
            await h.BeatAsync();
        }

        await h.PassAsync(TimeSpan.FromMinutes(5));
        Assert.Empty(await h.IncidentsAsync());
    }

    [Fact]
    public async Task NoBeatForIntervalAndGrace_OpensOneIncident_RoutedOnItsLabels_ThenABeatResolvesIt()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.WatchAsync();
        await h.BeatAsync();

        await h.PassAsync(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(50));
        Assert.Empty(await h.IncidentsAsync()); // within the grace

        await h.PassAsync(TimeSpan.FromSeconds(20));
        var incident = Assert.Single(await h.IncidentsAsync());
        Assert.Equal("HeartbeatMissed: Alertmanager stopped sending its Watchdog", incident.Title);
        Assert.Equal(Severity.Sev1, incident.Severity);
        Assert.Equal(IncidentStatus.Triggered, incident.Status);
        Assert.Contains("U-PAT", h.Paged); // routed on team=platform, paged like an alert

        await h.PassAsync(TimeSpan.FromMinutes(30)); // still missing: still one incident
        Assert.Single(await h.IncidentsAsync());

        await h.BeatAsync();
        incident = Assert.Single(await h.IncidentsAsync());
        Assert.Equal(IncidentStatus.Resolved, incident.Status);
        var timeline = await t.Store.GetTimelineAsync(incident.Number);
        Assert.Contains(timeline, e => e.Kind == TimelineKind.StatusChanged && e.Text.Contains("auto-resolve"));

        // Watched again from that beat: a second silence is a second incident.
        await h.PassAsync(TimeSpan.FromMinutes(7));
        Assert.Equal(2, (await h.IncidentsAsync()).Count);
    }

    [Fact]
    public async Task ABotThatNeverHearsABeat_OpensTheIncidentOneIntervalAfterItStartedWatching()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.WatchAsync();
        await h.WatchAsync(); // a second replica, or a restart: the watch started with the first

        await h.PassAsync(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(10));

        Assert.Single(await h.IncidentsAsync());
    }

    [Fact]
    public async Task WatchdogAlerts_AreBeats_AndOpenNoIncident_WhileTheOtherAlertsOfTheWebhookDo()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.WatchAsync();

        for (var i = 0; i < 4; i++)
        {
            await h.PassAsync(TimeSpan.FromMinutes(4));
            var report = await h.WebhookAsync(Watchdog(T0));
            Assert.Empty(report.Opened);
            Assert.Equal(1, report.UnchangedAlerts);
        }

        Assert.Empty(await h.IncidentsAsync());

        var mixed = await h.WebhookAsync(Watchdog(T0), Firing("disk", T0));
        Assert.Single(mixed.Opened);
        Assert.Equal(1, mixed.UnchangedAlerts); // the Watchdog, a beat
        Assert.DoesNotContain((await t.Store.GetAlertsAsync(1)), a => a.Alert.Name == "Watchdog");

        await h.PassAsync(TimeSpan.FromMinutes(7)); // Alertmanager stops: the Watchdog goes quiet
        var incidents = await h.IncidentsAsync();
        Assert.Equal(["alertmanager", HeartbeatMonitor.Source], incidents.OrderBy(i => i.Number).Select(i => i.Source));
    }
}

public sealed class HeartbeatTestsInMemory() : HeartbeatTests(StoreEngine.Memory);
