using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Commands;

/// <summary>The /incident commands on the real store and a fake clock.</summary>
public abstract class IncidentCommandsTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start; // 2023-08-05 10:00 UTC
    private static readonly Actor Alice = new("U1", "alice");
    private static readonly Actor Bob = new("U2", "bob");

    private static IncidentCommands CreateSut(TestStore t, IncidentOptions? options = null) =>
        new(t.Store, t.Store, new IncidentRules(Options.Create(options ?? new IncidentOptions())), t.Time);

    private static async Task<CommandReply> RunAsync(IncidentCommands sut, string text, Actor who, long? incident = 1)
    {
        var reply = await sut.ExecuteAsync(text, new CommandContext(who, incident));
        return reply;
    }

    private static async Task<CommandReply> OkAsync(IncidentCommands sut, string text, Actor who, long? incident = 1)
    {
        var reply = await RunAsync(sut, text, who, incident);
        Assert.True(reply.Ok, $"'{text}' failed: {reply.Text}");
        return reply;
    }

    [Fact]
    public async Task TheExampleIncident_FromAlertToResolution_ReadsInOrderWithAuthorsAndTimes()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await t.IngestAsync(Batch("g1", Firing("lb-1", T0, name: "HighErrorRate", severity: "error")));

        async Task At(int h, int m, string text, Actor who)
        {
            t.Time.SetUtcNow(new DateTimeOffset(2023, 8, 5, h, m, 0, TimeSpan.Zero));
            await OkAsync(sut, text, who);
        }

        await At(10, 15, "ack", Alice);
        await At(10, 16, "lead <@U1|alice>", Alice);
        await At(10, 30, "note Initial assumption: database connectivity; DB team investigating", Alice);
        await At(11, 5, "note 11:00 DB connection tests pass; focus shifts to the network", Bob);
        await At(11, 30, "note Network logs show unusual traffic patterns; network team alerted", Bob);
        await At(12, 0, "sev 1", Alice);
        await At(12, 1, "note 12:00 Network team confirmed a DDoS attack; escalated to security", Bob);
        await At(12, 30, "status identified", Alice);
        await At(12, 31, "update Security team is mitigating the DDoS; next update 13:30", Alice);
        await At(13, 30, "mitigated", Alice);
        await At(14, 0, "note Full service recovery; error rates stable", Bob);
        await At(14, 30, "resolve Attack traffic filtered", Alice);
        await At(15, 0, "cause A DDoS attack overwhelmed the network infrastructure", Alice);

        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal(IncidentStatus.Resolved, incident.Status);
        Assert.Equal(Severity.Sev1, incident.Severity);
        Assert.Equal(T0.AddMinutes(15), incident.AcknowledgedAt);
        Assert.Equal(T0.AddHours(3.5), incident.MitigatedAt);
        Assert.Equal(T0.AddHours(4.5), incident.ResolvedAt);
        Assert.Equal(Alice, incident.Lead);
        Assert.Equal("A DDoS attack overwhelmed the network infrastructure", incident.Cause);

        var timeline = (await t.Store.GetTimelineAsync(1)).Where(e => e.Author.Id is "U1" or "U2").ToList();
        Assert.Equal(
            ["10:15 alice", "10:16 alice", "10:30 alice", "11:00 bob", "11:30 bob", "12:00 alice", "12:00 bob", "12:30 alice", "12:31 alice", "13:30 alice", "14:00 bob", "14:30 alice", "15:00 alice"],
            timeline.Select(e => $"{e.At:HH:mm} {e.Author.Name}"));
        Assert.Equal("DB connection tests pass; focus shifts to the network", timeline[3].Text);
        Assert.Equal("alice changed the severity from SEV2 to SEV1.", timeline[5].Text);
        var all = await t.Store.GetTimelineAsync(1);
        Assert.Equal(all.OrderBy(e => e.At).Select(e => e.At), all.Select(e => e.At)); // kept in time order
    }

    [Fact]
    public async Task Declare_OpensIncidentWithChannelJobs_ByTheUser()
    {
        await using var t = NewStore();

        var reply = await OkAsync(CreateSut(t), "declare Checkout is failing sev2 payments", Alice, incident: null);

        Assert.StartsWith("Declared INC-1 (SEV2): Checkout is failing.", reply.Text);
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal("manual", incident.Source);
        var opened = Assert.Single(await t.Store.GetTimelineAsync(1));
        Assert.Equal(Alice, opened.Author);
        Assert.Equal("alice declared the incident for the payments team.", opened.Text);
        Assert.Equal(OpenChannelJob.Kind, Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Kind);
    }

    [Fact]
    public async Task Declare_Twice_OpensTwoIncidents()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);

        await OkAsync(sut, "declare One", Alice, null);
        await OkAsync(sut, "declare Two", Alice, null);

        Assert.Equal(2, (await t.Store.ListIncidentsAsync(new IncidentQuery(null, true, 10))).Count);
    }

    [Fact]
    public async Task Update_PostsToChannelAndIncidentsChannel()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout", Alice, null);

        await OkAsync(sut, "update Rolling back the deploy", Alice);

        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal(T0, incident.LastUpdateAt);
        var jobs = new List<EffectJob>();
        while (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))) is { Count: > 0 } claimed)
        {
            jobs.AddRange(claimed);
            await t.Store.WriteAsync(s => { claimed.ToList().ForEach(j => s.CompleteJob(j)); return 0; });
        }

        var posts = jobs.Where(j => j.Kind == PostTextJob.Kind).Select(j => System.Text.Json.JsonSerializer.Deserialize(j.Payload, PostTextJob.Json)!).ToList();
        Assert.Equal([false, true], posts.Select(p => p.Announce));
        Assert.All(posts, p => Assert.Equal("Update on INC-1 (SEV3, triggered) from alice: Rolling back the deploy", p.Text));
    }

    [Theory]
    [InlineData("ack", null, CommandOutcome.Invalid, "/incident ack works in an incident's channel.")]
    [InlineData("explode", 1L, CommandOutcome.Invalid, "Unknown command 'explode'")]
    [InlineData("ack", 99L, CommandOutcome.NotFound, "INC-99 does not exist.")]
    [InlineData("sev 3", 1L, CommandOutcome.Conflict, "INC-1 is already SEV3.")]
    public async Task BadCommands_AnswerClearly_AndChangeNothing(string text, long? incident, CommandOutcome outcome, string message)
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout", Alice, null);
        var before = await t.Store.GetTimelineAsync(1);

        var reply = await RunAsync(sut, text, Bob, incident);

        Assert.Equal(outcome, reply.Outcome);
        Assert.Contains(message, reply.Text);
        Assert.Equal(before, await t.Store.GetTimelineAsync(1));
    }

    [Fact]
    public async Task ActingOnAResolvedIncident_IsRefused_ButNotesAndPostmortemFieldsAreNot()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout", Alice, null);
        await OkAsync(sut, "resolve", Alice);

        var again = await RunAsync(sut, "resolve", Alice);
        var ack = await RunAsync(sut, "ack", Alice);

        Assert.Equal(CommandOutcome.Conflict, again.Outcome);
        Assert.Equal("INC-1 is resolved; resolve needs an open incident. Reopen it first if it is not over.", again.Text);
        Assert.Equal(CommandOutcome.Conflict, ack.Outcome);
        await OkAsync(sut, "note Customers notified", Bob);
        await OkAsync(sut, "impact 20% of transactions failed", Bob);
        await OkAsync(sut, "reopen", Bob);
        Assert.True((await t.Store.GetIncidentAsync(1))!.IsOpen);
    }

    [Fact]
    public async Task Ack_Twice_IsAConflict()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout", Alice, null);
        await OkAsync(sut, "ack", Alice);

        var reply = await RunAsync(sut, "ack", Bob);

        Assert.Equal(CommandOutcome.Conflict, reply.Outcome);
        Assert.Equal("INC-1 is already acknowledged.", reply.Text);
    }

    [Fact]
    public async Task OnceRespondersAreSet_OthersMayReadAndNote_ButChangeNothing()
    {
        await using var t = NewStore();
        var sut = CreateSut(t, new IncidentOptions { Responders = ["U1"] });
        await OkAsync(sut, "declare Checkout", Alice, null);

        // The finding: a non-responder could reopen, mark mitigated, rename, name the lead, page and escalate.
        foreach (var text in new[] { "declare Other", "sev 1", "resolve", "reopen", "mitigated", "title Renamed", "lead @bob", "page network", "escalate", "ack", "status identified", "update all fine" })
        {
            var reply = await RunAsync(sut, text, Bob, text.StartsWith("declare", StringComparison.Ordinal) ? null : 1);
            Assert.Equal(CommandOutcome.Forbidden, reply.Outcome);
            Assert.StartsWith("Only responders (the people and groups of Incidents:Responders)", reply.Text);
            Assert.Contains(text.StartsWith("declare", StringComparison.Ordinal) ? ") may declare" : ") or the incident's lead may", reply.Text);
            Assert.Contains($"(setting Incidents:Permissions:{text.Split(' ')[0]})", reply.Text);
        }

        await OkAsync(sut, "note I can still write notes", Bob);
        await OkAsync(sut, "timeline", Bob);
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((IncidentStatus.Triggered, "Checkout", null), (incident.Status, incident.Title, incident.Lead));
    }

    [Fact]
    public async Task WhatTheDraftSays_ChangedAfterResolution_WritesItAgain()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout", Alice, null);
        await OkAsync(sut, "resolve", Alice);
        var before = await PostmortemJobsAsync(t);

        foreach (var (field, at) in new[] { ("impact 20% of checkouts failed", 1), ("cause A bad deploy", 2), ("resolution Rolled back", 3), ("note one more thing", 4) })
        {
            t.Time.Advance(TimeSpan.FromMinutes(at));
            await OkAsync(sut, field, Alice);
        }

        Assert.Equal(1, before);
        Assert.Equal(3, await PostmortemJobsAsync(t)); // after impact, cause and resolution; not after the note
    }

    /// <summary>Runs down the outbox (every job done at once) and counts the postmortem drafts asked for.</summary>
    private static async Task<int> PostmortemJobsAsync(TestStore t)
    {
        var drafts = 0;
        while (await t.Store.WriteAsync(s => s.ClaimDueJobs(100, TimeSpan.FromSeconds(1))) is { Count: > 0 } jobs)
        {
            drafts += jobs.Count(j => j.Kind == Bot.Core.Postmortems.PublishPostmortemJob.Kind);
            await t.Store.WriteAsync(s => { jobs.ToList().ForEach(j => s.CompleteJob(j)); return 0; });
        }

        return drafts;
    }

    [Fact]
    public async Task TheIncidentsLead_MayRunIt_WithoutBeingAResponder()
    {
        await using var t = NewStore();
        var sut = CreateSut(t, new IncidentOptions { Responders = ["U1"] });
        await OkAsync(sut, "declare Checkout", Alice, null);
        await OkAsync(sut, "lead <@U2|bob>", Alice);

        await OkAsync(sut, "status identified", Bob);
        await OkAsync(sut, "mitigated", Bob);
        var refused = await RunAsync(sut, "declare Another", Bob, null);

        Assert.Equal(CommandOutcome.Forbidden, refused.Outcome);
        Assert.Equal(IncidentStatus.Mitigated, (await t.Store.GetIncidentAsync(1))!.Status);
    }

    [Fact]
    public async Task Permissions_ReplaceACommandsDefault()
    {
        await using var t = NewStore();
        var sut = CreateSut(t, new IncidentOptions
        {
            Responders = ["U1"],
            Permissions = new() { ["note"] = ["U1"], ["resolve"] = ["anyone"] },
        });
        await OkAsync(sut, "declare Checkout", Alice, null);

        var note = await RunAsync(sut, "note from bob", Bob);
        await OkAsync(sut, "resolve", Bob);

        Assert.Equal(CommandOutcome.Forbidden, note.Outcome);
        Assert.Equal("Only U1 may note (setting Incidents:Permissions:note). Ask one of them, or add a note.", note.Text);
        Assert.False((await t.Store.GetIncidentAsync(1))!.IsOpen);
    }

    [Fact]
    public async Task List_And_Timeline_ShowWhatIsOpenAndWhatHappened()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await OkAsync(sut, "declare Checkout is failing sev1", Alice, null);
        await OkAsync(sut, "lead @bob", Alice);
        t.Time.Advance(TimeSpan.FromMinutes(125));

        var list = await OkAsync(sut, "list", Bob, null);
        var timeline = await OkAsync(sut, "timeline", Bob);

        Assert.Contains("INC-1  SEV1  triggered  lead: bob  age: 2h 05m  Checkout is failing", list.Text);
        Assert.False(timeline.Public);
        Assert.Contains("10:00  alice: alice declared the incident.", timeline.Text);
        Assert.Contains("10:00  alice: alice made bob the incident lead.", timeline.Text);
    }

    [Fact]
    public async Task Timeline_OfAStorm_ShowsWhatPeopleDid_AndOnlyTheLatestAlertUpdates()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);
        await t.IngestAsync(Batch("storm", Firing("edge-0", T0)));
        await OkAsync(sut, "note Looks like a DDoS on the edge", Alice);
        for (var i = 1; i <= 60; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(1));
            await t.IngestAsync(Batch("storm", Firing($"edge-{i}", T0)));
        }

        var timeline = (await OkAsync(sut, "timeline", Bob)).Text.Split('\n');

        Assert.Contains("10:00  alice: Looks like a DDoS on the edge", timeline);
        Assert.Contains(timeline, l => l.Contains("opened by alert", StringComparison.Ordinal));
        Assert.Equal(IncidentCommands.AlertEntriesShown, timeline.Count(l => l.Contains("joined", StringComparison.Ordinal)));
        Assert.Contains(timeline, l => l.Contains("joined", StringComparison.Ordinal) && l.Contains("edge-60", StringComparison.Ordinal));
        Assert.StartsWith("The latest 2 entries and 10 alert updates; the whole timeline: GET /api/incidents/INC-1/timeline", timeline[1]);
    }
}

public sealed class IncidentCommandsTestsInMemory() : IncidentCommandsTests(StoreEngine.Memory);
