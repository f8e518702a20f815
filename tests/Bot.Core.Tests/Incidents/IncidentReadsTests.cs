using Bot.Core.Incidents;
using Bot.Core.Postmortems;
using Bot.TestKit;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Incidents;

/// <summary>
/// An incident read in pages (a storm's holds a million alerts and an entry per webhook): each page continues exactly
/// where the last ended, in either direction, ties included; on each real store.
/// </summary>
public abstract class IncidentReadsTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    [Fact]
    public async Task Alerts_ReadInPages_AreAllTheAlerts_InTheirOrder_BothWays()
    {
        await using var t = await StormAsync(webhooks: 10, alertsEach: 3); // alerts of one webhook tie on first seen and start
        var all = (await t.Store.GetAlertsAsync(1)).Select(a => a.Alert.Fingerprint).ToList();

        var forwards = await PagesAsync(t, newestFirst: false, size: 7);
        var backwards = await PagesAsync(t, newestFirst: true, size: 4);

        Assert.Equal(30, all.Count);
        Assert.Equal(all, forwards);
        Assert.Equal(Enumerable.Reverse(all), backwards);
        Assert.Equal("w0-a0", all[0]);
    }

    [Fact]
    public async Task Timeline_ReadInPages_IsTheWholeTimeline_AndKindsFilter()
    {
        await using var t = await StormAsync(webhooks: 6, alertsEach: 2);
        await t.Store.WriteAsync(s => { s.AppendTimeline(1, new TimelineEntry(T0, TimelineKind.Note, new Actor("U1", "alice"), "Looking at the edge.")); return 0; });
        await t.Store.WriteAsync(s => { s.AppendTimeline(1, new TimelineEntry(T0.AddSeconds(3), TimelineKind.Note, new Actor("U1", "alice"), "Rate limiting on.")); return 0; });
        var all = await t.Store.GetTimelineAsync(1);

        var pages = new List<TimelineEntry>();
        TimelinePosition? after = null;
        while (await t.Store.ListTimelineAsync(1, new TimelineQuery(3, after)) is { Count: > 0 } page)
        {
            pages.AddRange(page);
            after = TimelinePosition.Of(page[^1]);
        }

        var newest = await t.Store.ListTimelineAsync(1, new TimelineQuery(2, NewestFirst: true));
        var notes = await t.Store.ListTimelineAsync(1, new TimelineQuery(100, Kinds: PostmortemRenderer.Told));

        Assert.Equal(all.Select(e => (e.At, e.Text)), pages.Select(e => (e.At, e.Text)));
        Assert.Equal(all.Count, pages.Select(e => e.Id).Distinct().Count());
        Assert.Equal(all.TakeLast(2).Reverse().Select(e => e.Text), newest.Select(e => e.Text));
        Assert.Equal(all.Where(PostmortemRenderer.Tells).Select(e => e.Text), notes.Select(e => e.Text));
        Assert.Contains(notes, e => e.Text == "Rate limiting on.");
    }

    [Fact]
    public async Task SourceActivity_ListsTheFirstEntries_AndCountsThemAll()
    {
        await using var t = await StormAsync(webhooks: 8, alertsEach: 1);
        await t.Store.WriteAsync(s => { s.AppendTimeline(1, new TimelineEntry(t.Time.GetUtcNow(), TimelineKind.Note, new Actor("U1", "alice"), "Not a source's.")); return 0; });

        var activity = await t.Store.GetSourceActivityAsync(1, T0, t.Time.GetUtcNow().AddSeconds(1), 3);

        Assert.Equal(9, activity.Total); // the opening webhook's alert entry and opening entry, and 7 joins
        Assert.Equal(3, activity.Entries.Count);
        Assert.All(activity.Entries, e => Assert.StartsWith("source:", e.Author.Id));
    }

    [Fact]
    public async Task Incidents_ReadInPages_AreAllTheIncidents_NewestFirst()
    {
        await using var t = NewStore();
        for (var i = 0; i < 7; i++)
        {
            await t.IngestAsync(Batch($"g{i}", Firing($"a{i}", T0)));
        }

        var numbers = new List<long>();
        long? before = null;
        while (await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 3, before)) is { Count: > 0 } page)
        {
            numbers.AddRange(page.Select(i => i.Number));
            before = page[^1].Number;
        }

        Assert.Equal([7, 6, 5, 4, 3, 2, 1], numbers);
    }

    [Fact]
    public async Task Incidents_AreFiltered_BySeverity_PolicyThatPagedThem_TimeOpened_AndTitle()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0, name: "Checkout_Down", severity: "critical")));
        t.Time.Advance(TimeSpan.FromHours(1));
        await t.IngestAsync(Batch("g2", Firing("a2", T0, name: "DiskFull", severity: "warning")));
        t.Time.Advance(TimeSpan.FromHours(1));
        await t.IngestAsync(Batch("g3", Firing("a3", T0, name: "checkout_latency", severity: "warning")));
        await t.IngestAsync(Batch("g4", Firing("a4", T0, name: "100%_of_5xx", severity: "critical")));
        await t.Store.WriteAsync(s =>
        {
            s.SaveEscalation(new Core.Escalation.EscalationState(2, "database", 1, "active", 0, 0, [], T0));
            s.SaveEscalation(new Core.Escalation.EscalationState(3, "network", 1, "active", 0, 0, [], T0));
            s.SaveEscalation(new Core.Escalation.EscalationState(3, "database", 1, "active", 0, 0, [], T0));
            return 0;
        });
        async Task<long[]> List(IncidentQuery q) => [.. (await t.Store.ListIncidentsAsync(q)).Select(i => i.Number)];
        var all = new IncidentQuery(null, false, 10);

        Assert.Equal(new long[] { 4, 1 }, await List(all with { Severity = Severity.Sev1 }));
        Assert.Equal(new long[] { 3, 2 }, await List(all with { PagedBy = ["database"] }));
        Assert.Equal(new long[] { 3 }, await List(all with { PagedBy = ["network", "nobody"] }));
        Assert.Equal(new long[] { 2 }, await List(all with { OpenedFrom = T0.AddMinutes(30), OpenedBefore = T0.AddMinutes(90) }));
        Assert.Equal(new long[] { 3, 1 }, await List(all with { TitleContains = "CHECKOUT" }));
        Assert.Equal(new long[] { 4 }, await List(all with { TitleContains = "100%" })); // % and _ are the text's own, not patterns
        Assert.Empty(await List(all with { TitleContains = "_of_5xx_" }));
        Assert.Equal(new long[] { 3 }, await List(all with { TitleContains = "check", Severity = Severity.Sev3, PagedBy = ["network"], Before = 4 }));
    }

    [Fact]
    public async Task ReportReads_AreTheStretchsIncidentsWithTheirPolicies_AndItsPages_EachPageOnce()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        t.Time.Advance(TimeSpan.FromDays(1));
        await t.IngestAsync(Batch("g2", Firing("a2", T0)));
        await t.Store.WriteAsync(s =>
        {
            s.SaveEscalation(new Core.Escalation.EscalationState(2, "database", 1, "active", 0, 0, [], T0));
            s.RecordPage("INC-2:esc:database:r1:c0:s0", "U1", 2, "database", T0.AddDays(1));
            s.RecordPage("INC-2:esc:database:r1:c0:s0", "U1", 2, "database", T0.AddDays(1)); // directly and through a group: once
            s.RecordPage("INC-2:esc:database:r1:c0:s1", "U2", 2, "database", T0.AddDays(1).AddMinutes(15));
            return 0;
        });

        var facts = await t.Store.ListIncidentFactsAsync(T0.AddHours(12), T0.AddDays(2));
        var pages = await t.Store.ListPagesAsync(T0, T0.AddDays(1).AddMinutes(10));

        var second = Assert.Single(facts);
        Assert.Equal(2, second.Number);
        Assert.Equal(["database"], second.PagedBy);
        Assert.Equal(T0.AddDays(1), second.CreatedAt);
        var page = Assert.Single(pages);
        Assert.Equal(("U1", 2L, "database", T0.AddDays(1)), (page.User, page.Incident, page.Policy, page.At));
    }

    [Fact]
    public async Task EscalationReads_AnswerAsTheWritersSessionDoes_WithoutAUnitOfWork()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        await t.Store.WriteAsync(s =>
        {
            s.SaveEscalation(new Core.Escalation.EscalationState(1, "network", 2, "acknowledged", 1, 3, ["U1", "U2"], T0));
            s.SaveEscalation(new Core.Escalation.EscalationState(1, "database", 1, "active", 0, 0, [], T0));
            s.AddOverride("Database", new Core.Escalation.OverrideOptions { User = "U3", From = T0, To = T0.AddHours(4) });
            s.AddOverride("database", new Core.Escalation.OverrideOptions { User = "U4", From = T0.AddHours(-9), To = T0.AddHours(-1) });
            return 0;
        });

        var escalations = await t.Store.ListEscalationsAsync(1);
        var overrides = await t.Store.ListOverridesAsync("DATABASE", T0);

        Assert.Equal(await t.Store.WriteAsync(s => s.GetEscalations(1)), escalations, (a, b) => a with { Paged = [] } == b with { Paged = [] } && a.Paged.SequenceEqual(b.Paged));
        Assert.Equal(["database", "network"], escalations.Select(e => e.Policy));
        Assert.Equal(["U1", "U2"], escalations[1].Paged);
        Assert.Equal("U3", Assert.Single(overrides).User); // the ended one left out; the team's name in any case
    }

    [Fact]
    public async Task FirstAlertAt_IsTheEarliestStartAmongItsAlerts()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g", Firing("late", T0.AddMinutes(-1))));
        await t.IngestAsync(Batch("g", Firing("early", T0.AddMinutes(-20))));
        await t.IngestAsync(Batch("g", Firing("later", T0)));

        var incident = (await t.Store.GetIncidentAsync(1))!;

        Assert.Equal(T0.AddMinutes(-20), incident.FirstAlertAt);
        Assert.Equal(T0.AddMinutes(-20), PostmortemRenderer.Start(incident));
    }

    /// <summary>One incident: <paramref name="webhooks"/> webhooks a second apart, each with new alerts <c>w{i}-a{j}</c>.</summary>
    private async Task<TestStore> StormAsync(int webhooks, int alertsEach)
    {
        var t = NewStore();
        for (var w = 0; w < webhooks; w++)
        {
            // Listed in reverse, so that the order read is the store's (fingerprint at equal times), not the sender's.
            await t.IngestAsync(Batch("storm", Enumerable.Range(0, alertsEach).Reverse().Select(a => Firing($"w{w}-a{a}", T0)).ToArray()));
            t.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return t;
    }

    private static async Task<List<string>> PagesAsync(TestStore t, bool newestFirst, int size)
    {
        var read = new List<string>();
        AlertPosition? after = null;
        while (await t.Store.ListAlertsAsync(1, new AlertQuery(size, after, newestFirst)) is { Count: > 0 } page)
        {
            read.AddRange(page.Select(a => a.Alert.Fingerprint));
            after = AlertPosition.Of(page[^1]);
        }

        return read;
    }
}

public sealed class IncidentReadsTestsInMemory() : IncidentReadsTests(StoreEngine.Memory);
