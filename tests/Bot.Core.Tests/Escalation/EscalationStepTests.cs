using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.TestKit;
using Microsoft.Extensions.Options;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Escalation;

/// <summary>
/// Steps beyond "page these": a time window (business hours in a time zone), a condition on recent alerts, a round
/// robin across a team's members, and the whole incident channel. The clock starts on Saturday 2023-08-05, 10:00 UTC.
/// </summary>
public abstract class EscalationStepTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private sealed class Harness
    {
        private readonly TestPipeline _pipeline;

        public Harness(TestStore t, params StepOptions[] steps)
        {
            T = t;
            var config = new EscalationOptions
            {
                Teams = new(StringComparer.OrdinalIgnoreCase)
                {
                    ["rr"] = new TeamOptions { Members = [new MemberOptions { Id = "U-A" }, new MemberOptions { Id = "U-B" }, new MemberOptions { Id = "U-C" }] },
                },
                EscalationPolicies = new(StringComparer.OrdinalIgnoreCase) { ["p"] = new PolicyOptions { Steps = [.. steps] } },
                Routes = new RouteOptions { Policies = ["p"] },
            };
            Chat.Setup(c => c.CreateChannelAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatChannel("C1", "inc-x"));
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => { lock (Posts) { Posts.Add(m.Text); } })
                .ReturnsAsync(new ChatMessageRef("C1", "1"));
            Chat.Setup(c => c.AnnounceAsync(It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C0", "1"));
            Chat.Setup(c => c.DirectMessageAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((u, m, _, _) =>
                {
                    if (m.Text.StartsWith("You are paged", StringComparison.Ordinal)) // not the shift messages of a hand-off
                    {
                        lock (Paged)
                        {
                            Paged.Add($"{T.Time.GetUtcNow() - T0:mm\\:ss} {u}");
                        }
                    }
                })
                .ReturnsAsync(new ChatMessageRef("D1", "1"));
            _pipeline = new TestPipeline(t, Chat.Object, new IncidentOptions { UpdateEvery = TimeSpan.Zero }, config);
            Intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), _pipeline.Escalator);
            Commands = new Bot.Core.Commands.IncidentCommands(t.Store, t.Store, new IncidentRules(Options.Create(new IncidentOptions { UpdateEvery = TimeSpan.Zero })), t.Time, escalator: _pipeline.Escalator);
        }

        public Bot.Core.Commands.IncidentCommands Commands { get; }

        public Task<Bot.Core.Commands.CommandReply> RunAsync(string text, string user) => Commands.ExecuteAsync(text, new Bot.Core.Commands.CommandContext(new Actor(user, user[2..].ToLowerInvariant()), null));

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Paged { get; } = [];

        public List<string> Posts { get; } = [];

        public AlertIntake Intake { get; }

        public Task AlertsAsync(string group, int count) => T.Store.WriteAsync(s => Intake.Ingest(s, new AlertBatch("alertmanager", group,
            [.. Enumerable.Range(0, count).Select(i => Firing($"{group}-{i}", T0) with { Labels = LabelSet.From([new("alertname", "Down"), new("instance", $"{group}-{i}")]) })])));

        public Task PassAsync(TimeSpan span) => _pipeline.PassAsync(span, TimeSpan.FromSeconds(5));

        public async Task<List<string>> TimelineAsync(long incident) => [.. (await T.Store.GetTimelineAsync(incident)).Select(e => e.Text)];
    }

    [Fact]
    public async Task AStepOutsideItsWindow_IsSkipped_AndTheNextRunsAtOnce()
    {
        await using var t = NewStore();
        var h = new Harness(t,
            new StepOptions { Targets = ["user:U-DAY"], Wait = "10m", Window = "Mon-Fri 09:00-18:00 UTC" },
            new StepOptions { Targets = ["user:U-WEEKEND"], Wait = "10m", Window = "Sat-Sun 08:00-20:00 Europe/Berlin" });

        await h.AlertsAsync("g1", 1);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(["00:00 U-WEEKEND"], h.Paged);
        Assert.Contains("Skipped step 1 of 2 (p policy): outside its window, Mon-Fri 09:00-18:00 UTC.", await h.TimelineAsync(1));
    }

    [Fact]
    public async Task ARoundRobinTarget_PagesTheNextMemberInTurn_IncidentAfterIncident()
    {
        await using var t = NewStore();
        var h = new Harness(t, new StepOptions { Targets = ["roundrobin:rr"], Wait = "1h" });

        foreach (var group in (string[])["g1", "g2", "g3", "g4"])
        {
            await h.AlertsAsync(group, 1);
        }

        await h.PassAsync(TimeSpan.FromMinutes(1));

        var paged = new List<string>();
        for (var incident = 1; incident <= 4; incident++)
        {
            paged.Add((await h.TimelineAsync(incident)).Single(e => e.StartsWith("Paged ", StringComparison.Ordinal)));
        }

        // Each member in turn (which incident's step took which turn depends on the order the steps ran, in parallel
        // on PostgreSQL): over four pages, A, B and C once each and then A again.
        Assert.Equal(
            ["Paged U-A (rr, next in turn), step 1 of 1 (p policy).", "Paged U-A (rr, next in turn), step 1 of 1 (p policy).",
             "Paged U-B (rr, next in turn), step 1 of 1 (p policy).", "Paged U-C (rr, next in turn), step 1 of 1 (p policy)."],
            paged.Order(StringComparer.Ordinal));
        Assert.Equal(4, h.Paged.Count);
    }

    [Fact]
    public async Task AConditionalStep_StopsTheEscalation_UnlessEnoughAlertsArrived()
    {
        await using var t = NewStore();
        var h = new Harness(t,
            new StepOptions { Targets = ["user:U-FIRST"], Wait = "5m" },
            new StepOptions { Targets = ["user:U-SECOND"], Wait = "5m", ContinueIf = "3 alerts in 10m" });

        await h.AlertsAsync("quiet", 1);
        await h.AlertsAsync("storm", 4);
        await h.PassAsync(TimeSpan.FromMinutes(6));

        Assert.Equal(["00:00 U-FIRST", "00:00 U-FIRST", "05:00 U-SECOND"], h.Paged);
        Assert.Contains("Escalation policy p stops before step 2 of 2 (p policy): it continues only on 3 alerts in 10m, and 1 arrived.", await h.TimelineAsync(1));
    }

    [Fact]
    public async Task TheChannelTarget_MentionsEveryoneInTheIncidentChannel()
    {
        await using var t = NewStore();
        var h = new Harness(t, new StepOptions { Targets = ["channel"], Wait = "1h" });

        await h.AlertsAsync("g1", 1);
        await h.PassAsync(TimeSpan.FromMinutes(1));

        Assert.Contains(h.Posts, p => p.StartsWith(":pager: <!channel> paged for INC-1", StringComparison.Ordinal));
        Assert.Contains("Paged everyone in the incident's channel, step 1 of 1 (p policy).", await h.TimelineAsync(1));
    }

    [Fact]
    public async Task AnOverrideTakenFromChat_IsWhoIsOnCall_ForItsTime_AndIsPagedAsSuch()
    {
        await using var t = NewStore();
        var h = new Harness(t, new StepOptions { Targets = ["oncall:rr"], Wait = "1h" });

        var refused = await h.RunAsync("oncall override @U-C 4h rr", "U-OUTSIDER");
        Assert.Equal(Bot.Core.Commands.CommandOutcome.Forbidden, refused.Outcome);
        var taken = await h.RunAsync("oncall override @U-C 4h", "U-A"); // U-A is in rr only: the team can be left out
        Assert.True(taken.Ok, taken.Text);
        Assert.Equal("<@U-C> is on call for rr from now until 2023-08-05 14:00 UTC (override by a).", ChatText.Shown(taken.Text));
        Assert.Equal("On call now:\nrr: <@U-C> (override) until 2023-08-05 14:00 UTC", ChatText.Shown((await h.RunAsync("oncall rr", "U-B")).Text));

        await h.AlertsAsync("g1", 1);
        await h.PassAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["00:00 U-C"], h.Paged);

        t.Time.Advance(TimeSpan.FromHours(4));
        Assert.Equal("On call now:\nrr: no rotation; paging it pages every member", (await h.RunAsync("oncall rr", "U-B")).Text);
    }

    [Theory]
    [InlineData("Window", "Weekdays 9-5", "EscalationPolicies:p:Steps:0:Window: 'Weekdays 9-5' is not a window")]
    [InlineData("Window", "Mon-Fri 09:00-18:00 Mars/Olympus", "'Mars/Olympus' is not a time zone")]
    [InlineData("ContinueIf", "many alerts", "EscalationPolicies:p:Steps:0:ContinueIf: 'many alerts' is not a condition")]
    [InlineData("Targets", "roundrobin:nobody", "EscalationPolicies:p:Steps:0:Targets:0 'roundrobin:nobody' names no team in Teams.")]
    public void ABadStep_IsRefusedAtStart_NamingItsKey(string setting, string value, string expected)
    {
        var step = new StepOptions { Targets = ["user:U1"], Wait = "5m" };
        _ = setting switch
        {
            "Window" => step.Window = value,
            "ContinueIf" => step.ContinueIf = value,
            _ => (step.Targets = [value])[0],
        };

        var result = new EscalationOptionsValidator().Validate(null, new EscalationOptions { EscalationPolicies = new() { ["p"] = new PolicyOptions { Steps = [step] } } });

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }
}

public sealed class EscalationStepTestsInMemory() : EscalationStepTests(StoreEngine.Memory);
