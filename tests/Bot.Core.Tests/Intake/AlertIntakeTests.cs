using Bot.TestKit;
using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Intake;

/// <summary>Grouping and lifecycle of incidents from alerts, on each real store.</summary>
public abstract class AlertIntakeTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    [Fact]
    public async Task Ingest_FiringAlert_OpensIncidentWithAlertTimelineAndChatJobs()
    {
        await using var t = NewStore();

        var report = await t.IngestAsync(Batch("g1", Firing("a1", T0.AddSeconds(-30), severity: "critical")));

        Assert.Equal(["INC-1"], report.Opened);
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal("HighErrorRate: HighErrorRate on a1", incident.Title);
        Assert.Equal(Severity.Sev1, incident.Severity);
        Assert.Equal(IncidentStatus.Triggered, incident.Status);
        Assert.Equal(T0, incident.CreatedAt);
        Assert.Single(await t.Store.GetAlertsAsync(1));
        var timeline = await t.Store.GetTimelineAsync(1);
        Assert.Equal([TimelineKind.AlertFiring, TimelineKind.IncidentOpened], timeline.Select(e => e.Kind));
        Assert.Equal(T0.AddSeconds(-30), timeline[0].At); // when the alert started, not when it arrived
        Assert.Equal("source:alertmanager", timeline[1].Author.Id);
        var jobs = await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)));
        Assert.Equal(OpenChannelJob.Kind, Assert.Single(jobs).Kind); // the others wait their turn
    }

    [Fact]
    public async Task Ingest_SamePayloadTwice_ChangesNothing()
    {
        await using var t = NewStore();
        var batch = Batch("g1", Firing("a1", T0), Firing("a2", T0));
        await t.IngestAsync(batch);
        var timeline = await t.Store.GetTimelineAsync(1);

        t.Time.Advance(TimeSpan.FromMinutes(5));
        var report = await t.IngestAsync(batch);

        Assert.Empty(report.Opened);
        Assert.Empty(report.Updated);
        Assert.Equal(2, report.UnchangedAlerts);
        Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
        Assert.Equal(timeline, await t.Store.GetTimelineAsync(1));
        Assert.Equal(3, await CountJobsAsyncAll(t));
    }

    [Fact]
    public async Task Ingest_NewAlertOfOpenGroup_JoinsTheIncident()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        t.Time.Advance(TimeSpan.FromMinutes(1));

        var report = await t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("a2", T0.AddMinutes(1))));

        Assert.Equal(["INC-1"], report.Updated);
        Assert.Equal(1, report.NewAlerts);
        Assert.Equal(2, (await t.Store.GetAlertsAsync(1)).Count);
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.AlertFiring && e.Text.StartsWith("Alert joined"));
        t.Time.Advance(DigestJob.Length + DigestJob.Settle);
        Assert.Equal(5, await CountJobsAsyncAll(t)); // open channel, summary, announce + the digest and the summary refresh
    }

    [Fact]
    public async Task Ingest_OtherGroup_OpensAnotherIncident()
    {
        await using var t = NewStore();

        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var report = await t.IngestAsync(Batch("g2", Firing("a1", T0)));

        Assert.Equal(["INC-2"], report.Opened);
    }

    [Fact]
    public async Task Ingest_Resolution_MarksAlertAndKeepsIncidentOpen()
    {
        await using var t = NewStore();
        var alert = Firing("a1", T0);
        await t.IngestAsync(Batch("g1", alert, Firing("a2", T0)));
        t.Time.Advance(TimeSpan.FromMinutes(10));

        var report = await t.IngestAsync(Batch("g1", alert.Resolved(T0.AddMinutes(9))));

        Assert.Equal(1, report.ChangedAlerts);
        var stored = (await t.Store.GetAlertsAsync(1)).Single(a => a.Alert.Fingerprint == "a1");
        Assert.Equal(AlertStatus.Resolved, stored.Alert.Status);
        Assert.Equal(T0.AddMinutes(9), stored.Alert.EndsAt);
        var entry = (await t.Store.GetTimelineAsync(1)).Last();
        Assert.Equal(TimelineKind.AlertResolved, entry.Kind);
        Assert.Equal(T0.AddMinutes(9), entry.At);
        Assert.Equal(IncidentStatus.Triggered, (await t.Store.GetIncidentAsync(1))!.Status);
    }

    [Fact]
    public async Task Ingest_AllResolvedWithAutoResolve_ResolvesIncident()
    {
        await using var t = NewStore(new IncidentOptions { AutoResolve = true });
        var a1 = Firing("a1", T0);
        var a2 = Firing("a2", T0);
        await t.IngestAsync(Batch("g1", a1, a2));
        t.Time.Advance(TimeSpan.FromMinutes(10));

        await t.IngestAsync(Batch("g1", a1.Resolved(T0.AddMinutes(5))));
        Assert.True((await t.Store.GetIncidentAsync(1))!.IsOpen);
        await t.IngestAsync(Batch("g1", a2.Resolved(T0.AddMinutes(6))));

        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal(IncidentStatus.Resolved, incident.Status);
        Assert.Equal(T0.AddMinutes(10), incident.ResolvedAt);
    }

    [Fact]
    public async Task Ingest_ResolvedAlertNeverSeen_IsIgnored()
    {
        await using var t = NewStore();

        var report = await t.IngestAsync(Batch("g1", Firing("a1", T0).Resolved(T0)));

        Assert.Equal(1, report.UnchangedAlerts);
        Assert.Empty(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
    }

    [Fact]
    public async Task Ingest_FiringAgainAfterResolution_IsRecordedOnce()
    {
        await using var t = NewStore();
        var alert = Firing("a1", T0);
        await t.IngestAsync(Batch("g1", alert));
        await t.IngestAsync(Batch("g1", alert.Resolved(T0.AddMinutes(5))));

        var again = Firing("a1", T0.AddMinutes(20));
        var first = await t.IngestAsync(Batch("g1", again));
        var stale = await t.IngestAsync(Batch("g1", alert)); // an old retry arriving late

        Assert.Equal(1, first.ChangedAlerts);
        Assert.Equal(1, stale.UnchangedAlerts);
        Assert.Equal(AlertStatus.Firing, (await t.Store.GetAlertsAsync(1)).Single().Alert.Status);
        Assert.Single(await t.Store.GetTimelineAsync(1), e => e.Text.StartsWith("Alert firing again"));
    }

    [Fact]
    public async Task Ingest_AfterIncidentResolved_OpensNewIncident_AndLateResolutionLandsOnOldOne()
    {
        await using var t = NewStore();
        var alert = Firing("a1", T0);
        await t.IngestAsync(Batch("g1", alert));
        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            s.AppendTimeline(1, i.Resolve(new Actor("U1", "alice"), s.Now));
            s.UpdateIncident(i);
            return 0;
        });

        var resolution = await t.IngestAsync(Batch("g1", alert.Resolved(T0.AddMinutes(1))));
        var refire = await t.IngestAsync(Batch("g1", Firing("a1", T0.AddHours(1))));

        Assert.Equal(1, resolution.ChangedAlerts);
        Assert.Equal(AlertStatus.Resolved, (await t.Store.GetAlertsAsync(1)).Single().Alert.Status);
        Assert.Equal(["INC-2"], refire.Opened);
        await AssertTallyAsync(t, 1, alerts: 1, firing: 0); // the late resolution counted on the incident that holds it
        await AssertTallyAsync(t, 2, alerts: 1, firing: 1);
    }

    [Fact]
    public async Task LateResolution_LandsOnTheNewestIncidentOfItsGroupThatHoldsTheAlert()
    {
        await using var t = NewStore();
        var a = Firing("a", T0);
        var b = Firing("b", T0);
        var c = Firing("c", T0);
        await t.IngestAsync(Batch("g1", a, b, c)); // INC-1 holds a, b and c
        await ResolveByHandAsync(t, 1);
        await t.IngestAsync(Batch("g1", Firing("a", T0.AddHours(1)))); // INC-2 holds a's next episode
        await ResolveByHandAsync(t, 2);
        await t.IngestAsync(Batch("g2", Firing("b", T0))); // another group's b

        await t.IngestAsync(Batch("g1", Firing("a", T0.AddHours(1)).Resolved(T0.AddHours(2)), b.Resolved(T0.AddHours(2)), c.Resolved(T0.AddHours(2))));

        Assert.Equal(AlertStatus.Firing, (await t.Store.GetAlertsAsync(1)).Single(x => x.Alert.Fingerprint == "a").Alert.Status);
        Assert.Equal(AlertStatus.Resolved, (await t.Store.GetAlertsAsync(1)).Single(x => x.Alert.Fingerprint == "b").Alert.Status);
        Assert.Equal(AlertStatus.Resolved, (await t.Store.GetAlertsAsync(2)).Single().Alert.Status);
        Assert.Equal(AlertStatus.Firing, (await t.Store.GetAlertsAsync(3)).Single().Alert.Status);
        await AssertTallyAsync(t, 1, alerts: 3, firing: 1); // two late resolutions on INC-1 in one webhook both count
        await AssertTallyAsync(t, 2, alerts: 1, firing: 0);
    }

    private static Task ResolveByHandAsync(TestStore t, long number) => t.Store.WriteAsync(s =>
    {
        var i = s.GetIncident(number)!;
        s.AppendTimeline(number, i.Resolve(new Actor("U1", "alice"), s.Now));
        s.UpdateIncident(i);
        return 0;
    });

    [Fact]
    public async Task Ingest_KeepsTheIncidentsAlertTally_AsAlertsJoinResolveAndFireAgain()
    {
        await using var t = NewStore();
        var a1 = Firing("a1", T0);

        await t.IngestAsync(Batch("g1", a1, Firing("a2", T0)));
        await AssertTallyAsync(t, 1, alerts: 2, firing: 2);

        await t.IngestAsync(Batch("g1", Firing("a3", T0)));
        await AssertTallyAsync(t, 1, alerts: 3, firing: 3);

        await t.IngestAsync(Batch("g1", a1.Resolved(T0.AddMinutes(1)), Firing("a2", T0))); // a2 repeated: no change
        await AssertTallyAsync(t, 1, alerts: 3, firing: 2);

        await t.IngestAsync(Batch("g1", a1.Resolved(T0.AddMinutes(1)))); // the same resolution again
        await AssertTallyAsync(t, 1, alerts: 3, firing: 2);

        await t.IngestAsync(Batch("g1", Firing("a1", T0.AddMinutes(5)))); // a new episode of a1
        await AssertTallyAsync(t, 1, alerts: 3, firing: 3);

        await t.ReopenAsync();
        await AssertTallyAsync(t, 1, alerts: 3, firing: 3);
    }

    [Fact]
    public async Task Ingest_KeepsTheFirstThreeDistinctRunbooks_InTheOrderTheirAlertsCame()
    {
        await using var t = NewStore();

        await t.IngestAsync(Batch("g1", WithRunbook("a1", "runbook_url", "https://runbooks/db"), WithRunbook("a2", "runbook_url", "https://runbooks/db")));
        await t.IngestAsync(Batch("g1", Firing("a3", T0), WithRunbook("a4", "runbook", "https://runbooks/net")));
        await t.IngestAsync(Batch("g1", WithRunbook("a5", "runbook_url", "https://runbooks/sec"), WithRunbook("a6", "runbook_url", "https://runbooks/fourth")));

        Assert.Equal(["https://runbooks/db", "https://runbooks/net", "https://runbooks/sec"], (await t.Store.GetIncidentAsync(1))!.Runbooks);
    }

    [Fact]
    public async Task Ingest_TheSameAlertTwiceInOneWebhook_IsOneAlert_AndItsLastWordCounts()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("a1", T0)));
        t.Time.Advance(TimeSpan.FromMinutes(1));

        var report = await t.IngestAsync(Batch("g1", Firing("a2", T0), Firing("a2", T0).Resolved(T0.AddSeconds(30)), Firing("a1", T0)));

        Assert.Equal((1, 1, 1), (report.NewAlerts, report.ChangedAlerts, report.UnchangedAlerts));
        await AssertTallyAsync(t, 1, alerts: 2, firing: 1);
        Assert.Equal(AlertStatus.Resolved, (await t.Store.GetAlertsAsync(1)).Single(a => a.Alert.Fingerprint == "a2").Alert.Status);
    }

    [Fact]
    public async Task Ingest_AnAlertWrittenAgainAfterAReadInItsWebhook_IsOneAlert_NewIncidentOrNot()
    {
        await using var t = NewStore();

        // Each new alert is written, then the resolution of an alert the group never had is looked up (a read between
        // writes), then the new alert is written again: its first write was of an alert not stored, its second is not.
        await t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("never", T0).Resolved(T0.AddSeconds(10)), Firing("a1", T0).Resolved(T0.AddSeconds(20)), Firing("a2", T0)));
        t.Time.Advance(TimeSpan.FromMinutes(1));
        var report = await t.IngestAsync(Batch("g1", Firing("a3", T0), Firing("nor", T0).Resolved(T0.AddSeconds(10)), Firing("a3", T0).Resolved(T0.AddSeconds(30))));

        Assert.Equal((1, 1, 1), (report.NewAlerts, report.ChangedAlerts, report.UnchangedAlerts));
        await AssertTallyAsync(t, 1, alerts: 3, firing: 1);
        Assert.Equal(
            [("a1", AlertStatus.Resolved), ("a2", AlertStatus.Firing), ("a3", AlertStatus.Resolved)],
            (await t.Store.GetAlertsAsync(1)).Select(a => (a.Alert.Fingerprint, a.Alert.Status)).OrderBy(a => a.Fingerprint));
    }

    [Fact]
    public async Task Ingest_AGroupsWebhooksSentTogether_AreAppliedInTheOrderSent()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("first", T0)));

        // Each alert fires and then resolves, in webhooks sent one after the other without waiting: applied out of order,
        // a resolution would find nothing to resolve and the alert would stay firing.
        var sent = new List<Task>();
        for (var i = 0; i < 40; i++)
        {
            sent.Add(t.IngestAsync(Batch("g1", Firing($"a{i}", T0))));
            sent.Add(t.IngestAsync(Batch("g1", Firing($"a{i}", T0).Resolved(T0.AddSeconds(1)))));
            sent.Add(t.IngestAsync(Batch($"other{i % 7}", Firing($"b{i}", T0))));
        }

        await Task.WhenAll(sent);

        await AssertTallyAsync(t, 1, alerts: 41, firing: 1);
        Assert.Equal(8, (await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 100))).Count);
    }

    public static async Task AssertTallyAsync(TestStore t, long number, int alerts, int firing)
    {
        var incident = (await t.Store.GetIncidentAsync(number))!;
        var stored = await t.Store.GetAlertsAsync(number);
        Assert.Equal((alerts, firing), (incident.AlertCount, incident.FiringCount));
        Assert.Equal((alerts, firing), (stored.Count, stored.Count(a => a.Alert.Status == AlertStatus.Firing))); // the tally matches the alerts
    }

    private static Alert WithRunbook(string fingerprint, string annotation, string url) =>
        Firing(fingerprint, T0) with { Annotations = LabelSet.From(new Dictionary<string, string> { ["summary"] = fingerprint, [annotation] = url }) };

    [Fact]
    public async Task Ingest_MoreSevereAlertJoins_RaisesSeverity()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0, severity: "warning")));

        await t.IngestAsync(Batch("g1", Firing("a2", T0, severity: "critical")));

        Assert.Equal(Severity.Sev1, (await t.Store.GetIncidentAsync(1))!.Severity);
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.SeverityChanged);
    }

    [Fact]
    public async Task Ingest_StormWithGroupingLabels_IsOneIncident()
    {
        await using var t = NewStore(new IncidentOptions { GroupBy = ["alertname"] });

        for (var i = 0; i < 20; i++)
        {
            // Different sender groups (say, per data centre), same alert name: one incident.
            await t.IngestAsync(Batch($"dc-{i % 3}", Enumerable.Range(0, 10).Select(n => Firing($"fp-{i}-{n}", T0, name: "DDoS")).ToArray()));
        }

        var incident = Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
        Assert.Equal(200, (await t.Store.GetAlertsAsync(incident.Number)).Count);
    }

    [Fact]
    public async Task Ingest_MixedPayload_AppliesEachAlertsStatus()
    {
        await using var t = NewStore();
        var a1 = Firing("a1", T0);
        await t.IngestAsync(Batch("g1", a1, Firing("a2", T0)));

        await t.IngestAsync(Batch("g1", a1.Resolved(T0.AddMinutes(1)), Firing("a2", T0)));

        var alerts = await t.Store.GetAlertsAsync(1);
        Assert.Equal(AlertStatus.Resolved, alerts.Single(a => a.Alert.Fingerprint == "a1").Alert.Status);
        Assert.Equal(AlertStatus.Firing, alerts.Single(a => a.Alert.Fingerprint == "a2").Alert.Status);
    }

    [Fact]
    public async Task Ingest_Concurrently_SameGroup_IsOneIncident()
    {
        await using var t = NewStore();

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => t.IngestAsync(Batch("g1", Firing($"a{i}", T0)))));

        // On PostgreSQL a lost race uses up a number (a sequence never hands one out twice): the one incident may not be INC-1.
        var incident = Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
        Assert.Equal(50, (await t.Store.GetAlertsAsync(incident.Number)).Count);
    }

    private static async Task<int> CountJobsAsyncAll(TestStore t)
    {
        // Complete claims one by one so that every job of the incident can be counted.
        var total = 0;
        while (true)
        {
            var jobs = await t.Store.WriteAsync(s => s.ClaimDueJobs(1000, TimeSpan.FromMinutes(1)));
            if (jobs.Count == 0)
            {
                return total;
            }

            total += jobs.Count;
            await t.Store.WriteAsync(s =>
            {
                foreach (var j in jobs)
                {
                    s.CompleteJob(j);
                }

                return 0;
            });
        }
    }
}

public sealed class AlertIntakeTestsInMemory() : AlertIntakeTests(StoreEngine.Memory);
