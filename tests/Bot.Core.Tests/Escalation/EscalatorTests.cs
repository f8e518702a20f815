using Bot.TestKit;
using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Escalation;

/// <summary>Escalation policies on the real store, driven by a fake clock: nothing sleeps.</summary>
public abstract class EscalatorTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start; // 2023-08-05 10:00 UTC
    private static readonly Actor Bob = new("U-BOB", "bob");
    private static readonly Actor Carol = new("U-CAROL", "carol");
    private static readonly Actor Alice = new("U-ALICE", "alice");

    /// <summary>The example's teams: network (bob on call, erin), security (carol on call, sam), database (dave).</summary>
    private static EscalationOptions Config(int repeat = 0) => new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase)
        {
            ["network"] = Team("U-BOB", "U-ERIN"),
            ["security"] = Team("U-CAROL", "U-SAM"),
            ["database"] = Team("U-DAVE"),
        },
        EscalationPolicies = new(StringComparer.OrdinalIgnoreCase)
        {
            ["network"] = new PolicyOptions
            {
                Steps = [new StepOptions { Targets = ["oncall:network"], Wait = "15m" }, new StepOptions { Targets = ["team:network"], Wait = "30m" }, new StepOptions { Targets = ["oncall:security"], Wait = "30m" }],
                Repeat = repeat,
                Fallback = ["user:U-ALICE"],
            },
            ["security"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["oncall:security"], Wait = "10m" }, new StepOptions { Targets = ["team:security"], Wait = "10m" }] },
        },
        Routes = new RouteOptions
        {
            Routes = [new RouteOptions { Match = ["team=network"], Policies = ["network"] }, new RouteOptions { Match = ["team=database"], Policies = ["database-unknown-policy-is-skipped"] }],
        },
    };

    private static TeamOptions Team(params string[] members) => new()
    {
        Members = members.Select(m => new MemberOptions { Id = m, Name = m[2..].ToLowerInvariant() }).ToList(),
        Rotation = new RotationOptions { Members = [members[0]], ShiftLength = "1w", Start = "2023-07-31", TimeZone = "UTC" },
    };

    private sealed class Harness
    {
        public Harness(TestStore t, EscalationOptions config)
        {
            T = t;
            Escalator = new Escalator(Options.Create(config));
            Intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), Escalator);
            Chat.Setup(c => c.CreateChannelAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatChannel("C1", "inc-x"));
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => { lock (Posts) { Posts.Add(ChatText.Shown(m.Text)); } }).ReturnsAsync(new ChatMessageRef("C1", "1"));
            Chat.Setup(c => c.DirectMessageAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((u, m, _, _) => { lock (Dms) { Dms.Add((u, T.Time.GetUtcNow(), m)); } })
                .ReturnsAsync(new ChatMessageRef("D1", "1"));
            Chat.Setup(c => c.InviteAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()))
                .Callback<string, IReadOnlyList<string>, CancellationToken>((_, u, _) => { lock (Invites) { Invites.AddRange(u); } }).Returns(Task.CompletedTask);
            Chat.Setup(c => c.AnnounceAsync(It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C0", "1"));
            Commands = new IncidentCommands(t.Store, t.Store, new IncidentRules(Options.Create(new IncidentOptions { UpdateEvery = TimeSpan.Zero })), t.Time, escalator: Escalator);
            _pipeline = new TestPipeline(t, Chat.Object, new IncidentOptions { UpdateEvery = TimeSpan.Zero }, config);
        }

        public TestStore T { get; }

        public Escalator Escalator { get; }

        public AlertIntake Intake { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Posts { get; } = [];

        public List<(string User, DateTimeOffset At, ChatMessage Message)> Dms { get; } = [];

        public List<string> Invites { get; } = [];

        public IncidentCommands Commands { get; }

        private readonly TestPipeline _pipeline;

        public OutboxDispatcher Dispatcher() => _pipeline.Dispatcher;

        public Task NetworkAlertAsync() =>
            T.Store.WriteAsync(s => Intake.Ingest(s, new AlertBatch("alertmanager", "g1", [Firing("lb-1", T0, severity: "error") with { Labels = LabelSet.From([new("alertname", "HighErrorRate"), new("team", "network"), new("severity", "error")]) }])));

        /// <summary>Moves the clock in 1 s ticks for <paramref name="span"/>, running the outbox at each tick.</summary>
        public async Task PassAsync(TimeSpan span, OutboxDispatcher? dispatcher = null)
        {
            dispatcher ??= _dispatcher ??= Dispatcher();
            var end = T.Time.GetUtcNow() + span;
            do
            {
                while (await dispatcher.RunOnceAsync(CancellationToken.None) > 0)
                {
                }

                if (T.Time.GetUtcNow() >= end)
                {
                    return;
                }

                T.Time.Advance(TimeSpan.FromSeconds(1));
            }
            while (true);
        }

        public async Task<CommandReply> RunAsync(string text, Actor who) => await Commands.ExecuteAsync(text, new CommandContext(who, 1));

        /// <summary>Who was paged when, in time order; pages of one step (sent in parallel) by user id.</summary>
        public IEnumerable<string> Paged => Dms.OrderBy(d => d.At).ThenBy(d => d.User, StringComparer.Ordinal).Select(d => $"{d.At:HH:mm} {d.User}");

        private OutboxDispatcher? _dispatcher;
    }

    [Fact]
    public async Task NetworkAlert_PagesNetworkOnCallAtOnce_ThenTheTeam_ThenSecurity_OnSchedule()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(["10:00 U-BOB"], h.Paged);
        Assert.Contains("U-BOB", h.Invites);
        var dm = h.Dms[0].Message;
        Assert.Contains("INC-1", dm.Text);
        Assert.Equal(IncidentMessages.AcknowledgeAction, Assert.Single(dm.Buttons).Action);
        Assert.Contains(h.Posts, p => p.Contains("<@U-BOB> paged for INC-1, step 1 of 3 (network policy)"));

        await h.PassAsync(TimeSpan.FromMinutes(60));

        Assert.Equal(["10:00 U-BOB", "10:15 U-BOB", "10:15 U-ERIN", "10:45 U-CAROL"], h.Paged); // step 2 pages the whole team, bob again
        var pages = (await t.Store.GetTimelineAsync(1)).Where(e => e.Kind == TimelineKind.Page).Select(e => $"{e.At:HH:mm} {e.Text}").ToList();
        Assert.Equal(
            ["10:00 Paged bob (network on-call), step 1 of 3 (network policy).",
             "10:15 Paged bob (network), erin (network), step 2 of 3 (network policy).",
             "10:45 Paged carol (security on-call), step 3 of 3 (network policy)."],
            pages);
    }

    [Fact]
    public async Task Route_CanPageSeveralTeamsAtOnce_AndSetTheSeverity()
    {
        await using var t = NewStore();
        var config = Config();
        config.Routes.Routes.Insert(0, new RouteOptions { Match = ["team=network", "severity=error"], Policies = ["network", "security"], Severity = "SEV1" });
        var h = new Harness(t, config);

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(Severity.Sev1, (await t.Store.GetIncidentAsync(1))!.Severity); // "error" alone maps to SEV2
        Assert.Equal(["10:00 U-BOB", "10:00 U-CAROL"], h.Paged.Order());
        var started = (await t.Store.GetTimelineAsync(1)).Where(e => e.Kind == TimelineKind.Escalation).Select(e => e.Text);
        Assert.Equal(["Escalation policy network started: alert HighErrorRate matched its route.", "Escalation policy security started: alert HighErrorRate matched its route."], started);
    }

    [Fact]
    public async Task AnAlertJoiningLater_ForAnotherTeam_PagesThatTeam_ButNeverTheAcknowledgedTeamAgain()
    {
        await using var t = NewStore();
        var config = Config();
        config.Routes.Routes.Add(new RouteOptions { Match = ["team=security"], Policies = ["security"], Severity = "SEV1" });
        var h = new Harness(t, config);
        Task Alert(string fingerprint, string team) => t.Store.WriteAsync(s => h.Intake.Ingest(s, new AlertBatch("alertmanager", "ddos", [
            Firing(fingerprint, t.Time.GetUtcNow(), severity: "error") with
            {
                Labels = LabelSet.From([new("alertname", "HighErrorRate"), new("team", team), new("severity", "error"), new("instance", fingerprint)]),
            }])));

        await Alert("lb-1", "network"); // 10:00, the DDoS as network sees it
        await h.PassAsync(TimeSpan.FromMinutes(5));
        Assert.True((await h.RunAsync("ack", new Actor("U-BOB", "bob"))).Ok);
        await h.PassAsync(TimeSpan.FromMinutes(25));

        await Alert("waf-1", "security"); // 10:30, the same storm as security sees it: it joins the incident
        await h.PassAsync(TimeSpan.FromMinutes(5));
        await Alert("lb-2", "network"); // 10:35, more of the storm for network, which has acknowledged
        await h.PassAsync(TimeSpan.FromMinutes(5));

        // Network once; security from 10:30 on its own policy (its step 2, the whole team, at 10:40: nobody in security acked).
        Assert.Equal(["10:00 U-BOB", "10:30 U-CAROL", "10:40 U-CAROL", "10:40 U-SAM"], h.Paged);
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal(Severity.Sev1, incident.Severity); // the security route's override, as on opening
        Assert.Equal(3, (await t.Store.GetAlertsAsync(1)).Count);
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Text == "Escalation policy security started: alert HighErrorRate joined the incident and matched its route.");
    }

    [Fact]
    public async Task UserGroupNoTeamOwns_ItsMembersAreAskedOfTheChat_AndEachIsPagedOnce()
    {
        await using var t = NewStore();
        var config = Config();
        config.EscalationPolicies["network"].Steps[0].Targets = ["oncall:network", "usergroup:S-DBA"];
        config.Routes.Routes[0].Policies = ["network", "security"];
        var h = new Harness(t, config);
        h.Chat.Setup(c => c.GroupMembersAsync("S-DBA", It.IsAny<CancellationToken>())).ReturnsAsync(["U-DAVE", "U-BOB"]);

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["10:00 U-BOB", "10:00 U-CAROL", "10:00 U-DAVE"], h.Paged); // bob: on call and in the group, paged once
        Assert.Contains("U-DAVE", h.Invites);
        Assert.Contains(h.Dms, d => d.User == "U-DAVE" && d.Message.Text.Contains("You are paged as member of user group S-DBA, step 1 of 3 (network policy)."));
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Text == "Paged dave, bob (user group S-DBA), step 1 of 3 (network policy).");

        // A member of the group acknowledges: the escalation that paged them (network) stops, security's goes on.
        Assert.True((await h.RunAsync("ack", new Actor("U-DAVE", "dave"))).Ok);
        await h.PassAsync(TimeSpan.FromHours(1));
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Text == "dave acknowledged the page; escalation stopped: network.");
        Assert.Equal(["10:00 U-BOB", "10:00 U-CAROL", "10:00 U-DAVE", "10:10 U-CAROL", "10:10 U-SAM"], h.Paged);
    }

    [Fact]
    public async Task UserGroupTheChatDoesNotKnow_IsToldOnTheTimeline_AndTheStepsGoOn()
    {
        await using var t = NewStore();
        var config = Config();
        config.EscalationPolicies["network"].Steps[0].Targets = ["usergroup:S-GONE"];
        var h = new Harness(t, config);
        h.Chat.Setup(c => c.GroupMembersAsync("S-GONE", It.IsAny<CancellationToken>())).ThrowsAsync(new PermanentEffectException("no_such_subteam"));

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(16));

        var timeline = (await t.Store.GetTimelineAsync(1)).Select(e => e.Text).ToList();
        Assert.Contains("Could not page the members of a user group: no_such_subteam", timeline);
        Assert.Equal(["10:15 U-BOB", "10:15 U-ERIN"], h.Paged); // step 2 still pages the network team on time
    }

    [Fact]
    public async Task UserGroupTarget_PagesTheMembersOfTheTeamWithThatGroup()
    {
        await using var t = NewStore();
        var config = Config();
        config.Teams["security"].UserGroup = "S-SEC";
        config.EscalationPolicies["network"].Steps[0].Targets = ["usergroup:S-SEC", "usergroup:S-UNKNOWN"];
        var h = new Harness(t, config);

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["10:00 U-CAROL", "10:00 U-SAM"], h.Paged.Order());
        Assert.Contains(h.Posts, p => p.Contains("<@U-CAROL> <@U-SAM> <!subteam^S-UNKNOWN> paged for INC-1"));
    }

    [Fact]
    public async Task Escalate_WakesTheOutboxWorker_AsANewJobWould()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));
        var woken = 0;
        t.Store.JobsEnqueued += () => Interlocked.Increment(ref woken);

        await t.Store.WriteAsync(s => s.RescheduleJob(Escalator.StepKey(1, "network", 1, 0, 1), s.Now));
        Assert.Equal(1, woken);
        await t.Store.WriteAsync(s => s.RescheduleJob("INC-1:no-such-job", s.Now));
        Assert.Equal(1, woken);
    }

    [Fact]
    public async Task Ack_StopsTheEscalation_AndStampsTheTime()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(5));

        Assert.True((await h.RunAsync("ack", Bob)).Ok);
        await h.PassAsync(TimeSpan.FromHours(3));

        Assert.Equal(["10:00 U-BOB"], h.Paged);
        Assert.Equal(T0.AddMinutes(5), (await t.Store.GetIncidentAsync(1))!.AcknowledgedAt);
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Text == "bob acknowledged the page; escalation stopped: network.");
    }

    [Fact]
    public async Task SecondTeamsAck_AfterTheIncidentWasAcknowledged_StopsOnlyItsOwnEscalation()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));
        Assert.True((await h.RunAsync("page security DDoS confirmed", Alice)).Ok);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.True((await h.RunAsync("ack", Bob)).Ok); // stops network, not security
        await h.PassAsync(TimeSpan.FromMinutes(11));
        Assert.Contains("10:11 U-SAM", h.Paged);

        var reply = await h.RunAsync("ack", Carol);
        Assert.True(reply.Ok, reply.Text);
        Assert.Contains("escalation stopped: security", reply.Text);
        var count = h.Dms.Count;
        await h.PassAsync(TimeSpan.FromHours(2));
        Assert.Equal(count, h.Dms.Count);
    }

    [Fact]
    public async Task NobodyAcknowledges_TheStepsRepeat_ThenExhaustion_PagesTheFallback_AndSaysSo()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config(repeat: 1));

        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromHours(4));

        Assert.Equal(
            ["10:00 U-BOB", "10:15 U-BOB", "10:15 U-ERIN", "10:45 U-CAROL", "11:15 U-BOB", "11:30 U-BOB", "11:30 U-ERIN", "12:00 U-CAROL", "12:30 U-ALICE"],
            h.Paged);
        Assert.Contains(h.Posts, p => p.Contains("Nobody acknowledged after 3 steps in 2 rounds of policy network: escalation exhausted; paged the fallback: U-ALICE (named in the policy)."));
        var timeline = await t.Store.GetTimelineAsync(1);
        Assert.Contains(timeline, e => e.Text.Contains("round 2 of 2"));
    }

    [Fact]
    public async Task Escalate_FiresTheNextStepNow_Once()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(2));

        var reply = await h.RunAsync("escalate", Alice);
        await h.PassAsync(TimeSpan.FromMinutes(10));

        Assert.True(reply.Ok, reply.Text);
        Assert.Equal(["10:00 U-BOB", "10:02 U-BOB", "10:02 U-ERIN"], h.Paged); // step 2 at 10:02, not again at 10:15
        await h.PassAsync(TimeSpan.FromMinutes(25));
        Assert.Equal("10:32 U-CAROL", h.Paged.Last()); // and the wait restarts from the escalation
    }

    [Fact]
    public async Task Escalate_WithNothingRunning_SaysHowToPage()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.RunAsync("declare Checkout down sev2", Alice);

        var reply = await h.RunAsync("escalate", Alice);

        Assert.Equal(CommandOutcome.Conflict, reply.Outcome);
        Assert.Contains("/incident page <team>", reply.Text);
    }

    [Fact]
    public async Task Restart_InTheMiddleOfAWait_FiresTheNextStepOnTime_Once()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(7));

        await t.ReopenAsync(); // the bot is killed and starts again over the same store
        var fresh = new Harness(t, Config());
        await fresh.PassAsync(TimeSpan.FromMinutes(20));

        Assert.Equal(["10:15 U-BOB", "10:15 U-ERIN"], fresh.Paged);
        Assert.Single(await t.Store.GetTimelineAsync(1), e => e.Text.StartsWith("Paged bob (network), erin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolve_StopsPaging()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.NetworkAlertAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.True((await h.RunAsync("resolve False alarm", Alice)).Ok);
        await h.PassAsync(TimeSpan.FromHours(2));

        Assert.Equal(["10:00 U-BOB"], h.Paged);
    }

    [Fact]
    public async Task Page_UnknownTeam_ListsTheTeams_AndChangesNothing()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.RunAsync("declare Checkout down sev2", Alice);

        var reply = await h.RunAsync("page payments", Alice);

        Assert.Equal(CommandOutcome.NotFound, reply.Outcome);
        Assert.Equal("No team is named 'payments'. Teams: database, network, security.", reply.Text);
        await h.PassAsync(TimeSpan.FromMinutes(5));
        Assert.Empty(h.Dms);
    }

    [Fact]
    public async Task Page_Twice_IsRefusedWhileTheFirstRuns()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());
        await h.RunAsync("declare Checkout down sev2", Alice);

        Assert.True((await h.RunAsync("page database", Alice)).Ok); // a team without a policy pages its on-call
        var again = await h.RunAsync("page database", Alice);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(CommandOutcome.Conflict, again.Outcome);
        Assert.Equal(["10:00 U-DAVE"], h.Paged);
    }

    [Fact]
    public async Task OnCall_TellsWhoAndUntilWhen()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());

        var reply = await h.Commands.ExecuteAsync("oncall network", new CommandContext(Alice, null));

        Assert.Equal("On call now:\nnetwork: <@U-BOB> until 2023-08-07 09:00 UTC", ChatText.Shown(reply.Text));
    }

    [Fact]
    public async Task Declare_WithATeam_PagesIt()
    {
        await using var t = NewStore();
        var h = new Harness(t, Config());

        var reply = await h.RunAsync("declare DDoS suspected sev1 security", Alice);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Contains("Paging security.", reply.Text);
        Assert.Equal(["10:00 U-CAROL"], h.Paged);
    }
}

public sealed class EscalatorTestsInMemory() : EscalatorTests(StoreEngine.Memory);
