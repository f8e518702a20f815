using Bot.TestKit;
using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using System.Data.Common;
using EscalationStepJob = Bot.Core.Escalation.EscalationStepJob;
using Escalator = Bot.Core.Escalation.Escalator;
using NotificationRule = Bot.Core.Escalation.NotificationRule;
using NotifyJob = Bot.Core.Escalation.NotifyJob;
using OutgoingWebhookJob = Bot.Core.Escalation.OutgoingWebhookJob;
using PageGroupJob = Bot.Core.Escalation.PageGroupJob;
using PageJob = Bot.Core.Escalation.PageJob;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sql;

/// <summary>The store's contract, on each engine: units of work, constraints, restarts, the outbox's claims.</summary>
public abstract class SqlIncidentStoreTests(SqlEngine engine) : SqlStoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static EffectJob Job(string key, string order = "INC-1") => TestJob.Row(key, T0, order);

    [Fact]
    public async Task WriteAsync_FailingUnit_IsUndoneAlone()
    {
        await using var t = NewStore();

        var good = t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var bad = t.Store.WriteAsync<int>(s =>
        {
            s.Enqueue(Job("half-done"));
            throw new InvalidOperationException("boom");
        });
        var good2 = t.IngestAsync(Batch("g2", Firing("a1", T0)));

        await good;
        await good2;
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal("boom", e.Message);
        Assert.Equal(2, (await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10))).Count);
        Assert.DoesNotContain("half-done", await KeysAsync(t)); // the failed unit left nothing
    }

    /// <summary>
    /// A webhook of more alerts than one statement's rows (SQLite writes them 64 a statement, their labels' JSON bound
    /// from one arena started again after each): every alert is stored with its own labels and annotations.
    /// </summary>
    [Fact]
    public async Task AWebhookOfManyAlerts_StoresEachWithItsOwnLabelsAndAnnotations()
    {
        await using var t = NewStore();
        var sent = Enumerable.Range(0, 150).Select(i => Firing($"a{i:000}", T0, name: $"Alert{i}", instance: $"host-{i}-{new string('x', i)}")).ToArray();

        await t.IngestAsync(Batch("g1", sent));

        var stored = (await t.Store.GetAlertsAsync(1)).ToDictionary(a => a.Alert.Fingerprint);
        Assert.Equal(sent.Length, stored.Count);
        Assert.All(sent, alert =>
        {
            Assert.Equal(alert.Labels, stored[alert.Fingerprint].Alert.Labels);
            Assert.Equal(alert.Annotations, stored[alert.Fingerprint].Alert.Annotations);
        });
    }

    [Fact]
    public async Task AWriteTheDatabaseRefuses_FailsItsUnitAlone_EvenSentAtTheUnitsEnd()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));

        // Written last, so a store that batches writes sends it at the unit's end: the refusal is still the unit's.
        var refused = t.Store.WriteAsync(s =>
        {
            s.Enqueue(Job("with-the-refused"));
            s.AppendTimeline(999, new TimelineEntry(T0, TimelineKind.Note, Actor.Bot, "of no incident"));
        });
        var fine = Enumerable.Range(0, 20).Select(i => t.IngestAsync(Batch("g1", Firing($"b{i}", T0)))).ToList();

        await Assert.ThrowsAnyAsync<DbException>(() => refused);
        await Task.WhenAll(fine);
        Assert.DoesNotContain("with-the-refused", await KeysAsync(t));
        Assert.Equal(21, (await t.Store.GetIncidentAsync(1))!.AlertCount);
        await t.Store.WriteAsync(s => s.Enqueue(Job("after"))); // the writer goes on
        Assert.Contains("after", await KeysAsync(t));
    }

    [Fact]
    public async Task UnitsFailingAmidABatchOfOneGroup_AreUndoneAlone_AndEveryOtherUnitCommitsOnce()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a0", T0)));
        var group = t.Intake.AffinityOf(Batch("g1", Firing("a0", T0)))!;

        // A unit of the group holds its writer, so that the group's next units queue and run as one batch: a unit that
        // throws, one whose write the database refuses (sent at its end, so with the next unit's reads where a store
        // defers writes), and one refused last, at the commit. None must take a neighbour down, or run one twice.
        using var held = await HeldWriter.HoldAsync(t.Store, group);
        Task Ingest(string fingerprint) => t.IngestAsync(Batch("g1", Firing(fingerprint, T0)));
        Task<int> Refused(string key) => t.Store.WriteAsync(s =>
        {
            s.Enqueue(Job(key));
            s.AppendTimeline(999, new TimelineEntry(T0, TimelineKind.Note, Actor.Bot, "of no incident"));
            return 0;
        }, group);
        var fine = new List<Task>();
        fine.AddRange(Enumerable.Range(0, 3).Select(i => Ingest($"b{i}")));
        var thrown = t.Store.WriteAsync<int>(s => { s.Enqueue(Job("thrown")); throw new InvalidOperationException("boom"); }, group);
        fine.AddRange(Enumerable.Range(0, 3).Select(i => Ingest($"c{i}")));
        var refused = Refused("refused");
        fine.AddRange(Enumerable.Range(0, 3).Select(i => Ingest($"d{i}")));
        fine.Add(t.Store.WriteAsync(s => { s.Enqueue(Job("kept")); return 0; }, group));
        var refusedLast = Refused("refused-last");
        await held.ReleaseAsync();
        await Task.WhenAll(fine);
        Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => thrown)).Message);
        await Assert.ThrowsAnyAsync<DbException>(() => refused);
        await Assert.ThrowsAnyAsync<DbException>(() => refusedLast);
        var keys = await KeysAsync(t);
        Assert.Contains("kept", keys);
        Assert.DoesNotContain("thrown", keys);
        Assert.DoesNotContain("refused", keys);
        Assert.DoesNotContain("refused-last", keys);
        Assert.Equal(10, (await t.Store.GetIncidentAsync(1))!.AlertCount);
        var alerts = await t.Store.GetAlertsAsync(1);
        Assert.Equal(10, alerts.Count);
        // Each ingest wrote its timeline entry once, in the order sent, whatever ran again.
        var added = (await t.Store.GetTimelineAsync(1)).Where(e => e.Text.StartsWith("Alert ", StringComparison.Ordinal)).Select(e => e.Text).ToList();
        Assert.Equal(10, added.Count);
        string[] order = ["a0", "b0", "b1", "b2", "c0", "c1", "c2", "d0", "d1", "d2"];
        Assert.Equal(order, added.Select(text => order.Single(f => text.Contains($"\"{f}\"", StringComparison.Ordinal))));
    }

    /// <summary>
    /// A group's webhooks queued together run as one batch, where PostgreSQL's writer reads the incident and the alerts
    /// of all of them with the first and keeps what each writes for the next: a repeat of an alert written earlier in
    /// the batch, its resolution, the incident resolved by the last of them and a new one opened after it must come out
    /// as they would one webhook at a time.
    /// </summary>
    [Fact]
    public async Task AGroupsWebhooksInOneBatch_SeeWhatTheOnesBeforeThemWrote()
    {
        await using var t = NewStore(new IncidentOptions { AutoResolve = true });
        using var held = await HeldWriter.HoldAsync(t.Store, t.Intake.AffinityOf(Batch("g1", Firing("a1", T0)))!);

        var at = T0.AddMinutes(1);
        var reports = new[]
        {
            t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("a2", T0))),
            t.IngestAsync(Batch("g1", Firing("a3", T0), Firing("a1", T0))), // a1 repeated: unchanged
            t.IngestAsync(Batch("g1", Firing("a1", T0).Resolved(at))),
            t.IngestAsync(Batch("g1", Firing("a4", T0))),
            t.IngestAsync(Batch("g1", Firing("a2", T0).Resolved(at), Firing("a3", T0).Resolved(at), Firing("a4", T0).Resolved(at))), // the last: auto-resolved
            t.IngestAsync(Batch("g1", Firing("a5", at))), // a new incident
            t.IngestAsync(Batch("g1", Firing("a5", at), Firing("a6", at))),
        };
        await held.ReleaseAsync();
        var r = await Task.WhenAll(reports);

        Assert.Equal([(2, 0, 0), (1, 0, 1), (0, 1, 0), (1, 0, 0), (0, 3, 0), (1, 0, 0), (1, 0, 1)], r.Select(x => (x.NewAlerts, x.ChangedAlerts, x.UnchangedAlerts)));
        Assert.Equal(["INC-1"], r[0].Opened);
        Assert.Equal(["INC-2"], r[5].Opened);
        var first = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((IncidentStatus.Resolved, 4, 0), (first.Status, first.AlertCount, first.FiringCount));
        var second = (await t.Store.GetIncidentAsync(2))!;
        Assert.Equal((IncidentStatus.Triggered, 2, 2), (second.Status, second.AlertCount, second.FiringCount));
        Assert.Equal(["a5", "a6"], (await t.Store.GetAlertsAsync(2)).Select(a => a.Alert.Fingerprint).Order());
        Assert.All(await t.Store.GetAlertsAsync(1), a => Assert.Equal(AlertStatus.Resolved, a.Alert.Status));
    }

    /// <summary>
    /// A storm's webhooks that route to a policy, queued as one batch: each asks whether its policy ever ran on the
    /// incident (where the store keeps the answer for the batch, it must hear of the units' own starts), so each policy
    /// starts once, by the first alert that routed there, however the batch runs.
    /// </summary>
    [Fact]
    public async Task AGroupsWebhooksInOneBatch_StartEachRoutedPolicyOnce()
    {
        await using var t = NewStore();
        var intake = Routing.Intake();
        Task<Core.Intake.IngestReport> Ingest(Core.Intake.AlertBatch batch) => t.Store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
        using var held = await HeldWriter.HoldAsync(t.Store, intake.AffinityOf(Batch("g1", Firing("a1", T0)))!);

        var reports = new[]
        {
            Ingest(Batch("g1", Firing("a1", T0))), // opens the incident: network starts
            Ingest(Batch("g1", Firing("a2", T0))),
            Ingest(Batch("g1", Firing("b1", T0, name: "Breach"))), // security's first alert: security starts
            Ingest(Batch("g1", Firing("b2", T0, name: "Breach"), Firing("a3", T0))),
            Ingest(Batch("g1", Firing("a4", T0))),
        };
        await held.ReleaseAsync();
        await Task.WhenAll(reports);

        var escalations = await t.Store.WriteAsync(s => s.GetEscalations(1));
        Assert.Equal([("network", 1), ("security", 1)], escalations.Select(e => (e.Policy, e.Run)).Order());
        var started = (await t.Store.GetTimelineAsync(1)).Where(e => e.Text.StartsWith("Escalation policy", StringComparison.Ordinal)).Select(e => e.Text).ToList();
        Assert.Equal(2, started.Count);
        Assert.Contains(started, text => text.Contains("Breach joined the incident", StringComparison.Ordinal));
        Assert.Equal(6, (await t.Store.GetIncidentAsync(1))!.AlertCount);
    }

    /// <summary>
    /// Timeline entries at one time keep the order they were written in (read by time, then by id), within a unit and
    /// across a batch's units, though a store that batches writes sends them together at the commit.
    /// </summary>
    [Fact]
    public async Task TimelineEntriesAtOneTime_KeepTheOrderTheyWereWrittenIn()
    {
        await using var t = NewStore();
        var intake = Routing.Intake();
        var affinity = intake.AffinityOf(Batch("g1", Firing("a0", T0)))!;
        await t.Store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a0", T0))), affinity);
        using var held = await HeldWriter.HoldAsync(t.Store, affinity);

        var at = T0.AddMinutes(1);
        var units = Enumerable.Range(0, 5).Select(u => t.Store.WriteAsync(s =>
        {
            var batch = Batch("g1", Firing($"u{u}", T0));
            intake.Ingest(s, batch); // reads once, as a storm's webhook does: the entries below wait with its writes
            foreach (var n in new[] { 3, 1, 2 })
            {
                s.AppendTimeline(1, new TimelineEntry(at, TimelineKind.Note, Actor.Bot, $"unit {u} entry {n}"));
            }

            return 0;
        }, affinity)).ToList();
        await held.ReleaseAsync();
        await Task.WhenAll(units);

        var notes = (await t.Store.GetTimelineAsync(1)).Where(e => e.Kind == TimelineKind.Note).Select(e => e.Text);
        Assert.Equal(Enumerable.Range(0, 5).SelectMany(u => new[] { 3, 1, 2 }.Select(n => $"unit {u} entry {n}")), notes);
    }

    /// <summary>
    /// A storm's batch whose alerts all wait for the commit (where the store batches writes), one unit's among them
    /// refused by the database: that unit fails alone, with the database's error, and every other webhook's alerts are
    /// stored, once.
    /// </summary>
    [Fact]
    public async Task AnAlertWriteTheDatabaseRefuses_InAStormsBatch_FailsItsUnitAlone()
    {
        await using var t = NewStore();
        var intake = Routing.Intake();
        var affinity = intake.AffinityOf(Batch("g1", Firing("a0", T0)))!;
        await t.Store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a0", T0))), affinity);
        using var held = await HeldWriter.HoldAsync(t.Store, affinity);

        var storm = new List<Task<Core.Intake.IngestReport>>();
        Task<int>? refused = null;
        for (var i = 1; i <= 10; i++)
        {
            var batch = Batch("g1", Firing($"a{i}", T0), Firing($"b{i}", T0));
            storm.Add(t.Store.WriteAsync(s => intake.Ingest(s, batch), affinity));
            if (i == 4)
            {
                refused = t.Store.WriteAsync(s => { s.UpsertAlert(999, "g1", Firing("of-no-incident", T0), isNew: true); return 0; }, affinity);
            }
        }

        await held.ReleaseAsync();

        await Assert.ThrowsAnyAsync<DbException>(() => refused!);
        Assert.All(await Task.WhenAll(storm), report => Assert.Equal(2, report.NewAlerts));
        Assert.Equal(21, (await t.Store.GetIncidentAsync(1))!.AlertCount);
        Assert.Equal(21, (await t.Store.GetAlertsAsync(1)).Count);
    }

    /// <summary>
    /// Where a batch's transaction keeps an incident's escalations once read, a unit that started a policy and was then
    /// undone leaves nothing of it behind: the next unit of the batch, and the next batch, see no policy started.
    /// </summary>
    [Fact]
    public async Task AnUndoneUnitsEscalations_AreNotSeenByTheUnitsAfterIt()
    {
        await using var t = NewStore();
        var intake = Routing.Intake();
        var affinity = intake.AffinityOf(Batch("g1", Firing("a1", T0)))!;
        await t.Store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a1", T0))), affinity); // network starts
        using var held = await HeldWriter.HoldAsync(t.Store, affinity);

        var seenBefore = t.Store.WriteAsync(s => s.GetEscalations(1).Select(e => (e.Policy, e.Run)).ToList(), affinity);
        var undone = t.Store.WriteAsync<int>(s =>
        {
            _ = s.GetEscalations(1);
            s.SaveEscalation(new Core.Escalation.EscalationState(1, "security", 1, "active", 0, 0, [], s.Now));
            Assert.Equal(2, s.GetEscalations(1).Count); // the unit sees its own start
            throw new InvalidOperationException("undone");
        }, affinity);
        var seenAfter = t.Store.WriteAsync(s => s.GetEscalations(1).Select(e => (e.Policy, e.Run)).ToList(), affinity);
        await held.ReleaseAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => undone);
        Assert.Equal([("network", 1)], await seenBefore);
        Assert.Equal([("network", 1)], await seenAfter);
        Assert.Equal([("network", 1)], (await t.Store.WriteAsync(s => s.GetEscalations(1))).Select(e => (e.Policy, e.Run)));
    }

    /// <summary>
    /// The writers keep, for a webhook that joins an incident, whether its route's policy already ran there (it starts
    /// only once), but only as committed: a unit that started security and was undone leaves security unstarted, and the
    /// next Breach alert to join starts it, in a batch or alone (were the unit's start kept as it was saved, security would
    /// never start: tried). Network, which did start, is not started again however often its alerts join.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APolicyStartThatWasUndone_IsNotTakenForRun_TheNextAlertOfItsRouteStartsIt(bool inOneBatch)
    {
        await using var t = NewStore();
        var intake = Routing.Intake();
        var affinity = intake.AffinityOf(Batch("g1", Firing("a1", T0)))!;
        Task<Core.Intake.IngestReport> Ingest(Core.Intake.AlertBatch batch) => t.Store.WriteAsync(s => intake.Ingest(s, batch), affinity);
        await Ingest(Batch("g1", Firing("a1", T0))); // network starts
        await Ingest(Batch("g1", Firing("a2", T0))); // joins: network ran

        using (var held = inOneBatch ? await HeldWriter.HoldAsync(t.Store, affinity) : null)
        {
            var undone = t.Store.WriteAsync<int>(s =>
            {
                Assert.False(s.HasRun(1, "security"));
                s.SaveEscalation(new Core.Escalation.EscalationState(1, "security", 1, "active", 0, 0, [], s.Now));
                Assert.True(s.HasRun(1, "security")); // the unit sees its own start
                throw new InvalidOperationException("undone");
            }, affinity);
            if (!inOneBatch)
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => undone);
            }

            var joined = new[] { Ingest(Batch("g1", Firing("b1", T0, name: "Breach"))), Ingest(Batch("g1", Firing("a3", T0))) };
            if (held is not null)
            {
                await held.ReleaseAsync();
                await Assert.ThrowsAsync<InvalidOperationException>(() => undone);
            }

            await Task.WhenAll(joined);
        }

        Assert.Equal([("network", 1), ("security", 1)], (await t.Store.WriteAsync(s => s.GetEscalations(1))).Select(e => (e.Policy, e.Run)).Order());
        var started = (await t.Store.GetTimelineAsync(1)).Where(e => e.Text.StartsWith("Escalation policy", StringComparison.Ordinal)).Select(e => e.Text).ToList();
        Assert.Equal(2, started.Count);
        Assert.Contains(started, text => text.Contains("Breach joined the incident", StringComparison.Ordinal));
    }

    /// <summary>
    /// A change of the tally that waits to be written, then a read (which sends it), then other writes and another change
    /// of the tally in the same unit: each is written, in its place (where writes wait in a batch, the provider hands the
    /// next batch back recycled: a later change once joined the update already sent, and was lost or overwrote the job).
    /// </summary>
    [Fact]
    public async Task ATallyChangedAgainAfterARead_IsWritten_AndSoIsWhatCameBetween()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));

        await t.Store.WriteAsync(s =>
        {
            var incident = s.GetIncident(1)!;
            incident.TallyAlert(Firing("a2", T0), null, s.Now);
            s.UpdateIncident(incident); // waits with the writes
            _ = s.GetIncident(1); // a read: the writes waiting go with it
            s.Enqueue(Job("between"));
            incident.TallyAlert(Firing("a3", T0), null, s.Now);
            s.UpdateIncident(incident);
            return 0;
        });

        Assert.Equal(3, (await t.Store.GetIncidentAsync(1))!.AlertCount);
        Assert.Contains("between", await KeysAsync(t));
    }

    [Fact]
    public async Task InsertIncident_SecondOpenIncidentForGroup_IsRefusedByTheSchema()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));

        await Assert.ThrowsAnyAsync<DbException>(() => t.Store.WriteAsync(s =>
        {
            var (twin, _) = Incident.Open("twin", Severity.Sev3, "alertmanager", "alertmanager:group:g1", Actor.Bot, "x", s.Now);
            s.InsertIncident(twin);
            return 0;
        }));
        Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, true, 10)));
    }

    [Fact]
    public async Task Reopen_KeepsEverything()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("a2", T0)));

        await t.ReopenAsync();

        Assert.Equal(2, (await t.Store.GetAlertsAsync(1)).Count);
        Assert.Equal(2, (await t.Store.GetTimelineAsync(1)).Count); // "2 alerts firing", "incident opened"
        var report = await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        Assert.Equal(1, report.UnchangedAlerts);
    }

    [Fact]
    public async Task WriteAsync_AfterDispose_ThrowsStoreUnavailable()
    {
        var t = NewStore();
        await t.Sql.DisposeAsync();

        await Assert.ThrowsAsync<StoreUnavailableException>(() => t.Store.WriteAsync(s => 1));
    }

    [Fact]
    public async Task ListIncidents_FiltersByStatusAndOpen_NewestFirst()
    {
        await using var t = NewStore();
        for (var i = 1; i <= 3; i++)
        {
            await t.IngestAsync(Batch($"g{i}", Firing("a", T0)));
        }

        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(2)!;
            i.Resolve(Actor.Bot, s.Now);
            s.UpdateIncident(i);
            return 0;
        });

        Assert.Equal([3L, 2L, 1L], (await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10))).Select(i => i.Number));
        Assert.Equal([3L, 1L], (await t.Store.ListIncidentsAsync(new IncidentQuery(null, true, 10))).Select(i => i.Number));
        Assert.Equal([2L], (await t.Store.ListIncidentsAsync(new IncidentQuery(IncidentStatus.Resolved, false, 10))).Select(i => i.Number));
        Assert.Equal([3L], (await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 1))).Select(i => i.Number));
    }

    [Fact]
    public async Task UpdateIncident_WritesEachChange_TwiceInAUnit_AfterAnInsert_AndAfterAnUndoneUnit()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var alice = new Actor("U1", "alice");

        // The store writes only what changed since the unit read or last wrote the incident: each step changes other columns.
        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            i.Acknowledge(alice, s.Now);
            s.UpdateIncident(i);
            i.SetImpact("checkout down", alice, s.Now);
            s.UpdateIncident(i);
            i.Retitle("Checkout down", alice, s.Now);
            s.UpdateIncident(i);
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            i.SetCause("a bad deploy", alice, s.Now);
            s.UpdateIncident(i);
            throw new InvalidOperationException("undone");
        }));
        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            i.AssignLead(alice, alice, s.Now);
            s.UpdateIncident(i);
            var (other, _) = Incident.Open("other", Severity.Sev3, "alertmanager", "alertmanager:group:g2", Actor.Bot, "x", s.Now);
            s.InsertIncident(other);
            other.SetProgress("investigating", alice, s.Now);
            s.UpdateIncident(other);
        });

        var read = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((IncidentStatus.Acknowledged, "checkout down", "Checkout down", "U1", null), (read.Status, read.Impact, read.Title, read.Lead?.Id, read.Cause));
        Assert.Equal(1, read.AlertCount);
        Assert.Equal("investigating", (await t.Store.GetIncidentAsync(2))!.Progress);
    }

    [Fact]
    public async Task Enqueue_SameKeyTwice_KeepsOneJob()
    {
        await using var t = NewStore();

        await t.Store.WriteAsync(s => s.Enqueue(Job("k1")));
        await t.Store.WriteAsync(s => s.Enqueue(Job("k1") with { Payload = "{\"again\":true}" }));

        Assert.Equal(["k1"], await KeysAsync(t));
        Assert.Equal(Job("k1").Payload, (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))))[0].Payload);
    }

    [Fact]
    public async Task Enqueue_AKeyAnUndoneUnitWrote_IsWrittenByALaterUnit_AndAKeyWhoseJobWasDeleted_IsWrittenAgain()
    {
        await using var t = NewStore();

        // Units that share a transaction: the first writes k and fails; the second writes k; the third writes it again.
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var holding = t.Store.WriteAsync(s => { started.Set(); gate.Wait(); return 0; });
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var undone = t.Store.WriteAsync<int>(s => { s.Enqueue(Job("k")); throw new InvalidOperationException("undone"); });
        var second = t.Store.WriteAsync(s => { s.Enqueue(Job("k")); return 0; });
        var third = t.Store.WriteAsync(s => { s.Enqueue(Job("k") with { Payload = "{\"third\":true}" }); return 0; });
        gate.Set();
        await Assert.ThrowsAsync<InvalidOperationException>(() => undone);
        await Task.WhenAll(holding, second, third);
        Assert.Equal(["k"], await KeysAsync(t));

        // Done: not deleted within the hour, whatever the caller asks; then kept past KeepDone and deleted: the same key is a new job.
        var claimed = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        await t.Store.WriteAsync(s => { s.CompleteJob(claimed); return 0; });
        Assert.Equal(0, await t.Store.WriteAsync(s => s.DeleteDoneJobs(T0.AddYears(10), 100)));
        t.Time.Advance(OutboxOptions.KeepDoneAtLeast + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await t.Store.WriteAsync(s => s.DeleteDoneJobs(t.Time.GetUtcNow() - OutboxOptions.KeepDoneAtLeast, 100)));
        await t.Store.WriteAsync(s => s.Enqueue(Job("k")));
        Assert.Equal(["k"], await KeysAsync(t));
    }

    /// <summary>The keys of the jobs waiting in the outbox, claiming none.</summary>
    private static Task<List<string>> KeysAsync(TestStore t) => OutboxColumnAsync(t, "key", r => r.GetString(0), "WHERE state = 0");

    /// <summary>One column of the outbox's rows, in id order, read beside the store.</summary>
    private static Task<List<T>> OutboxColumnAsync<T>(TestStore t, string column, Func<System.Data.Common.DbDataReader, T> read, string where = "") =>
        ((TempStore)t).ColumnAsync($"SELECT {column} FROM outbox {where} ORDER BY id", read);

    [Fact]
    public async Task ClaimDueJobs_OnePerOrderingKey_InOrder_AndHonoursDueTimeAndLease()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(Job("a1", "A"));
            s.Enqueue(Job("a2", "A"));
            s.Enqueue(Job("b1", "B"));
        });

        var first = await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)));
        Assert.Equal(["a1", "b1"], first.Select(j => j.Key));
        Assert.Empty(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))); // a2 waits for a1

        // a1 fails and is due again in 30 s: a2 still waits behind it.
        await t.Store.WriteAsync(s => { s.RetryJob(first[0], s.Now.AddSeconds(30), "slack down"); s.CompleteJob(first[1]); return 0; });
        Assert.Empty(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));

        t.Time.Advance(TimeSpan.FromSeconds(30));
        var retried = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        Assert.Equal("a1", retried.Key);
        Assert.Equal(1, retried.Attempts);

        // A claim whose lease ran out (its runner died) is claimed again.
        t.Time.Advance(TimeSpan.FromMinutes(1));
        var again = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        Assert.Equal("a1", again.Key);
        await t.Store.WriteAsync(s => { s.CompleteJob(again); return 0; });
        Assert.Equal("a2", Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Key);
    }

    [Fact]
    public async Task ClaimDueJobs_TakesTheEarliestDueFirst_ThenTheFirstEnqueued_AnExpiredClaimAmongThem()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(Job("step", "S") with { DueAt = T0.AddMinutes(5) }); // enqueued first, due last
            s.Enqueue(Job("dm", "D") with { DueAt = T0.AddMinutes(1) });
            s.Enqueue(Job("chat", "C") with { DueAt = T0.AddMinutes(1) });
            s.Enqueue(Job("retry", "R") with { DueAt = T0.AddMinutes(4) });
            s.Enqueue(Job("held", "H")); // due now, claimed by a runner that dies
        });
        Assert.Equal("held", Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Key);

        t.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(["held", "dm"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(2, TimeSpan.FromMinutes(1)))).Select(j => j.Key));
        Assert.Equal(["chat", "retry", "step"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Select(j => j.Key));
    }

    /// <summary>
    /// Each lane's claim takes its own number of its own due jobs: a page due after a backlog of channel messages is
    /// claimed with the first of them, not after them all (in one lane it waited for every message due before it), and an
    /// expired claim counts in its lane. The lane is the row's, written as it was enqueued.
    /// </summary>
    [Fact]
    public async Task ClaimDueJobs_TakesEachLanesOwnDueJobs_APageDueAfterABacklogOfMessages_WithTheFirstOfThem()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            for (var i = 1; i <= 5; i++)
            {
                s.Enqueue(Job($"message-{i}", $"INC-{i}") with { DueAt = T0.AddSeconds(i) });
            }

            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.PageJob(1, "U1", "Paged", "INC-1:db:1:0:0"), T0.AddSeconds(10)));
            s.Enqueue(TestJob.Row("held-page", T0, "P2", JobLane.Phone)); // claimed by a runner that dies
        });
        Assert.Equal("held-page", Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(0, 1, 0, 0), TimeSpan.FromMinutes(1)))).Key);

        t.Time.Advance(TimeSpan.FromMinutes(1));
        var claimed = await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(2, 1, 0, 0), TimeSpan.FromMinutes(1)));
        Assert.Equal(["held-page", "message-1", "message-2"], claimed.Select(j => j.Key)); // the paging lane's first
        Assert.Equal([JobLane.Phone, JobLane.Default, JobLane.Default], claimed.Select(j => j.Lane));

        Assert.Equal(["message-3"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(1, 4, 0, 0), TimeSpan.FromMinutes(1)))).Select(j => j.Key));
        claimed = await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(1, 4, 4, 0), TimeSpan.FromMinutes(1)));
        Assert.Equal(["INC-1:db:1:0:0:page:U1", "message-4"], claimed.Select(j => j.Key)); // the chat's pages in a lane of their own
        Assert.Equal(JobLane.ChatPaging, claimed[0].Lane);
        Assert.Equal(["message-5"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(4), TimeSpan.FromMinutes(1)))).Select(j => j.Key));
    }

    /// <summary>
    /// An upgrade puts the jobs already waiting in their kind's lane: migration 32 names the kinds of the paging lane as
    /// they were then, 34 those of the chat's pages, 35 the timers', 36 the e-mails' and webhooks', 39 the summaries'; each
    /// kind of job outside the default lane today must be among them (a kind added to a lane later needs no migration: it
    /// has no rows written before lanes).
    /// </summary>
    [Fact]
    public async Task Migrations32To39_PutTheJobsWaitingOfEachKind_InTheirLanes()
    {
        var kinds = JobKinds();
        string[] newerThanLanes = [Bot.Core.Escalation.TestPageJob.Kind]; // no row of theirs was written before lanes
        var paging = kinds.Where(k => k.Lane != JobLane.Default && !newerThanLanes.Contains(k.Kind)).Select(k => k.Kind).Order().ToList();
        Assert.Equal(["chat.refresh_summary", "escalation.notify", "escalation.page", "escalation.page_group", "escalation.step", "escalation.webhook", "heartbeat.check"], paging);
        Assert.Equal(["chat.refresh_summary"], kinds.Where(k => k.Lane == JobLane.Summaries).Select(k => k.Kind));
        Assert.Equal(["escalation.page", "escalation.page_group"], kinds.Where(k => k.Lane == JobLane.ChatPaging).Select(k => k.Kind).Order());
        Assert.Equal(["escalation.step", "heartbeat.check"], kinds.Where(k => k.Lane == JobLane.Timers).Select(k => k.Kind).Order());
        Assert.Equal(["escalation.webhook"], kinds.Where(k => k.Lane == JobLane.Webhooks).Select(k => k.Kind));

        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            foreach (var (kind, _) in kinds)
            {
                s.Enqueue(new EffectJob($"waiting-{kind}", kind, kind, "{}", T0));
            }
        });
        await t.ReopenAfterAsync(
            (Engine.IsPostgres ? "DROP TRIGGER incidents_version ON incidents; " : "") +
            TempStore.UndoLatest + "DROP INDEX ix_outbox_waiting; ALTER TABLE outbox DROP COLUMN lane; ALTER TABLE incidents DROP COLUMN version; DELETE FROM schema_migrations WHERE version >= 32");

        var claimed = await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.From(lane => lane == JobLane.Default ? 0 : 100), TimeSpan.FromMinutes(1)));
        Assert.Equal(paging, claimed.Select(j => j.Kind).Order());
        Assert.All(claimed, j => Assert.Equal(kinds.Single(k => k.Kind == j.Kind).Lane, j.Lane));
        Assert.Equal(kinds.Count - paging.Count, (await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(100, 0, 0, 0), TimeSpan.FromMinutes(1)))).Count);
    }

    /// <summary>An upgrade from the version with two lanes moves the chat's pages waiting (then in the paging lane) to their own.</summary>
    [Fact]
    public async Task Migration34_MovesTheChatsPagesWaitingInThePagingLane_ToTheirOwn()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.PageJob(1, "U1", "Paged", "INC-1:db:1:0:0"), T0));
            s.Enqueue(TestJob.Row("sms", T0, "S", JobLane.Phone));
        });
        await t.ReopenAfterAsync(TempStore.UndoLatest + "UPDATE outbox SET lane = 1 WHERE kind = 'escalation.page'; DELETE FROM schema_migrations WHERE version >= 34");

        Assert.Equal(["sms"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(0, 100, 0, 0), TimeSpan.FromMinutes(1)))).Select(j => j.Key));
        var page = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(0, 0, 100, 0), TimeSpan.FromMinutes(1))));
        Assert.Equal((Bot.Core.Escalation.PageJob.Kind, JobLane.ChatPaging), (page.Kind, page.Lane));
    }

    /// <summary>An upgrade from the version with three lanes moves the steps and heartbeat checks waiting (then in the paging lane) to their own.</summary>
    [Fact]
    public async Task Migration35_MovesTheStepsWaitingInThePagingLane_ToTheirOwn()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(new EffectJob("step", Bot.Core.Escalation.EscalationStepJob.Kind, "INC-1:step", "{}", T0) { Lane = JobLane.Timers });
            s.Enqueue(TestJob.Row("sms", T0, "S", JobLane.Phone));
        });
        await t.ReopenAfterAsync(TempStore.UndoLatest + "UPDATE outbox SET lane = 1 WHERE kind = 'escalation.step'; DELETE FROM schema_migrations WHERE version >= 35");

        Assert.Equal(["sms"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(0, 100, 0, 0), TimeSpan.FromMinutes(1)))).Select(j => j.Key));
        var step = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(0, 0, 0, 100), TimeSpan.FromMinutes(1))));
        Assert.Equal(("step", JobLane.Timers), (step.Key, step.Lane));
    }

    /// <summary>
    /// An upgrade from the version with six lanes moves the summaries' refreshes waiting (then in the default lane) to
    /// their own, where a storm's refreshes wait for the chat's budget apart from a new incident's channel; the
    /// channels and messages stay.
    /// </summary>
    [Fact]
    public async Task Migration39_MovesTheSummariesRefreshesWaitingInTheDefaultLane_ToTheirOwn()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(EffectJob.Of(new Bot.Core.Chat.RefreshSummaryJob(1, 0, 2000), T0));
            s.Enqueue(TestJob.Row("message", T0));
        });
        await t.ReopenAfterAsync("UPDATE outbox SET lane = 0; DELETE FROM schema_migrations WHERE version >= 39");

        Assert.Equal(["message"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(new JobsWanted(100), TimeSpan.FromMinutes(1)))).Select(j => j.Key));
        var refresh = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.From(lane => lane == JobLane.Summaries ? 100 : 0), TimeSpan.FromMinutes(1))));
        Assert.Equal((Bot.Core.Chat.RefreshSummaryJob.Kind, JobLane.Summaries), (refresh.Kind, refresh.Lane));
    }

    /// <summary>
    /// An upgrade from the version with four lanes moves the e-mails and outgoing webhooks waiting (then in the phone's
    /// lane) to lanes of their own; the SMS and calls stay. A job enqueued now takes its lane from itself: an e-mail's
    /// notification the mail server's, an SMS's the phone's. A notification whose payload is not JSON stays, and stops no upgrade.
    /// </summary>
    [Fact]
    public async Task Migration36_MovesTheEmailsAndWebhooksWaitingInThePhonesLane_ToTheirOwn()
    {
        const string step = "INC-1:db:1:0:0";
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.NotifyJob(1, "U1", Bot.Core.Escalation.NotificationRule.Sms, 0, step, 0), T0));
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.NotifyJob(1, "U1", Bot.Core.Escalation.NotificationRule.Email, 1, step, 0), T0));
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.NotifyJob(1, "U1", Bot.Core.Escalation.NotificationRule.Voice, 2, step, 0), T0));
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.OutgoingWebhookJob(1, "ops", step), T0));
            s.Enqueue(new EffectJob("garbled", Bot.Core.Escalation.NotifyJob.Kind, "garbled", "{not json", T0) { Lane = JobLane.Phone });
        });
        Assert.Equal([JobLane.Phone, JobLane.Email, JobLane.Phone, JobLane.Webhooks, JobLane.Phone], await LanesAsync());

        await t.ReopenAfterAsync(TempStore.UndoLatest + "UPDATE outbox SET lane = 1; DELETE FROM schema_migrations WHERE version >= 36");
        Assert.Equal([JobLane.Phone, JobLane.Email, JobLane.Phone, JobLane.Webhooks, JobLane.Phone], await LanesAsync()); // a payload not JSON stops no upgrade

        Assert.Equal([$"{step}:notify:U1:0", $"{step}:notify:U1:2", "garbled"], await ClaimAsync(JobLane.Phone));
        Assert.Equal([$"{step}:notify:U1:1"], await ClaimAsync(JobLane.Email));
        Assert.Equal([$"{step}:webhook:ops"], await ClaimAsync(JobLane.Webhooks));

        Task<List<JobLane>> LanesAsync() => OutboxColumnAsync(t, "lane", r => (JobLane)Convert.ToInt32(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));

        async Task<List<string>> ClaimAsync(JobLane lane) =>
            [.. (await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.From(l => l == lane ? 100 : 0), TimeSpan.FromMinutes(1)))).Select(j => j.Key)];
    }

    /// <summary>
    /// The gauges' figures: the jobs not done by kind, state and lane, and each lane's job due longest ago (none for a
    /// lane with nothing due): an SMS provider that hangs shows as the phone lane's age while the e-mails' stays low.
    /// </summary>
    [Fact]
    public async Task Stats_CountTheJobsByLane_AndSayEachLanesJobDueLongestAgo()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("sms-1", T0.AddMinutes(-5), "S1", JobLane.Phone));
            s.Enqueue(TestJob.Row("sms-2", T0.AddMinutes(-1), "S2", JobLane.Phone));
            s.Enqueue(TestJob.Row("email", T0.AddSeconds(-10), "E", JobLane.Email));
            s.Enqueue(TestJob.Row("later", T0.AddHours(1), "L"));
        });

        var stats = await t.Store.GetStatsAsync();

        Assert.Equal([("email", T0.AddSeconds(-10)), ("phone", T0.AddMinutes(-5))], stats.OldestDueByLane.Select(l => (l.Lane, l.DueAt)).OrderBy(l => l.Lane));
        Assert.Equal(T0.AddMinutes(-5), stats.OldestDueAt);
        Assert.Equal([("default", 1L), ("email", 1L), ("phone", 2L)], stats.Jobs.GroupBy(j => j.Lane).Select(g => (g.Key, g.Sum(j => j.Count))).OrderBy(l => l.Key));
        Assert.All(stats.Jobs, j => Assert.Equal("pending", j.State));
    }

    /// <summary>
    /// Each lane's oldest job not done, for the gauge the paging alert reads: due and waiting, claimed or running, or
    /// between tries, counted from when it first fell due (which a retry keeps); a job not yet due, or done, is none.
    /// A provider that hangs on a few pages keeps them running or between tries, and the queue's own figure
    /// (<see cref="StoreStats.OldestDueByLane"/>) sees none of them.
    /// </summary>
    [Fact]
    public async Task Stats_SayEachLanesOldestJobNotDone_RunningOrBetweenTriesToo_FromWhenItFirstFellDue()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("sms", T0.AddMinutes(-5), "S", JobLane.Phone));
            s.Enqueue(TestJob.Row("email", T0.AddMinutes(-2), "E", JobLane.Email));
            s.Enqueue(TestJob.Row("hook", T0.AddMinutes(-1), "W", JobLane.Webhooks));
            s.Enqueue(TestJob.Row("later", T0.AddHours(1), "L"));
        });
        var claimed = await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(10), TimeSpan.FromMinutes(10)));
        Assert.Equal(["email", "hook", "sms"], claimed.Select(j => j.Key).Order());

        // The SMS timed out: its next try is a minute on. The e-mail went out; the webhook's call is still running.
        await t.Store.WriteAsync(s =>
        {
            s.RetryJob(claimed.Single(j => j.Key == "sms"), T0.AddMinutes(1), "timed out after 30 s");
            s.CompleteJob(claimed.Single(j => j.Key == "email"));
        });

        var stats = await t.Store.GetStatsAsync();
        Assert.Empty(stats.OldestDueByLane);
        Assert.Equal([("phone", T0.AddMinutes(-5)), ("webhooks", T0.AddMinutes(-1))], Undone(stats));

        // A DM due and waiting for a slot is one too, as in the queue's figure.
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("dm", T0.AddSeconds(-30), "D", JobLane.ChatPaging)));
        stats = await t.Store.GetStatsAsync();
        Assert.Equal([("chat_paging", T0.AddSeconds(-30))], stats.OldestDueByLane.Select(l => (l.Lane, l.DueAt)));
        Assert.Equal([("chat_paging", T0.AddSeconds(-30)), ("phone", T0.AddMinutes(-5)), ("webhooks", T0.AddMinutes(-1))], Undone(stats));
        await t.Store.WriteAsync(s => s.CompleteJob(Assert.Single(s.ClaimDueJobs(JobsWanted.From(l => l == JobLane.ChatPaging ? 10 : 0), TimeSpan.FromMinutes(1)))));

        // Its next try fails too: still counted from its first due time, claimed, then between tries again.
        t.Time.Advance(TimeSpan.FromMinutes(1));
        var sms = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.From(l => l == JobLane.Phone ? 10 : 0), TimeSpan.FromMinutes(1))));
        Assert.Equal([("phone", T0.AddMinutes(-5)), ("webhooks", T0.AddMinutes(-1))], Undone(await t.Store.GetStatsAsync()));
        await t.Store.WriteAsync(s => s.RetryJob(sms, T0.AddMinutes(3), "timed out after 30 s"));
        Assert.Equal([("phone", T0.AddMinutes(-5)), ("webhooks", T0.AddMinutes(-1))], Undone(await t.Store.GetStatsAsync()));

        // Both done at last: none.
        t.Time.Advance(TimeSpan.FromMinutes(2));
        sms = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.From(l => l == JobLane.Phone ? 10 : 0), TimeSpan.FromMinutes(1))));
        await t.Store.WriteAsync(s =>
        {
            s.CompleteJob(sms);
            s.CompleteJob(claimed.Single(j => j.Key == "hook"));
        });
        Assert.Empty(Undone(await t.Store.GetStatsAsync()));

        static List<(string Lane, DateTimeOffset DueAt)> Undone(StoreStats stats) => [.. stats.OldestUndoneByLane.Select(l => (l.Lane, l.DueAt)).OrderBy(l => l.Lane)];
    }

    /// <summary>
    /// An incident's pages not out yet, for its console page: between tries (with their last error, from when they first
    /// fell due), being sent, waiting, or scheduled for later, the one due longest ago first; never another incident's
    /// (INC-10's keys begin as INC-1's do), a step's own timer, a page done, nor one failed for good (the timeline says those).
    /// </summary>
    [Fact]
    public async Task PagesUnderWay_AreTheIncidentsPagesNotDone_DueLongestAgoFirst_WithTheirLastError()
    {
        var step = Escalator.StepKey(1, "db", 1, 0, 0);
        var later = T0.AddMinutes(3);
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(EffectJob.Of(new NotifyJob(1, "U1", NotificationRule.Sms, 0, step, 0), T0.AddMinutes(-5)));
            s.Enqueue(EffectJob.Of(new NotifyJob(1, "U1", NotificationRule.Email, 1, step, later.ToUnixTimeMilliseconds()), later));
            s.Enqueue(EffectJob.Of(new NotifyJob(1, "U3", NotificationRule.Voice, 0, step, 0), T0.AddMinutes(-3)));
            s.Enqueue(EffectJob.Of(new OutgoingWebhookJob(1, "ops", step), T0.AddMinutes(-2)));
            s.Enqueue(EffectJob.Of(new PageJob(1, "U2", "Paged", step), T0.AddMinutes(-1)));
            s.Enqueue(EffectJob.Of(new EscalationStepJob(1, "db", 1, 0, 1, 0), T0.AddMinutes(-4)));
            s.Enqueue(EffectJob.Of(new NotifyJob(10, "U1", NotificationRule.Sms, 0, Escalator.StepKey(10, "db", 1, 0, 0), 0), T0.AddMinutes(-6)));
        });
        var claimed = await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(10), TimeSpan.FromMinutes(10)));
        EffectJob Claimed(string kind, string user) => claimed.Single(j => j.Kind == kind && j.Key.StartsWith("INC-1:", StringComparison.Ordinal) && j.Key.Contains(user, StringComparison.Ordinal));
        await t.Store.WriteAsync(s =>
        {
            s.RetryJob(Claimed(NotifyJob.Kind, ":U1:"), T0.AddMinutes(1), "Twilio answered 503");
            s.FailJob(Claimed(NotifyJob.Kind, ":U3:"), "People:U3 has no Phone");
            s.CompleteJob(Claimed(OutgoingWebhookJob.Kind, ":ops"));
            s.Enqueue(EffectJob.Of(new PageGroupJob(1, "db", 1, 0, 0, "S0DBA", "#inc-1"), T0.AddSeconds(-30)));
        });

        var pages = await t.Store.ListPagesUnderWayAsync(1, 10);

        string Name(string user) => user == "U1" ? "Dave" : user;
        Assert.Equal(
            [
                ("SMS to Dave", "failing", $"not out after 1 try since 09:55:00 UTC; last error: Twilio answered 503; next try 10:01:00 UTC"),
                ("Chat message to U2", "sending", "being sent, due since 09:59:00 UTC"),
                ("Mention of the user group S0DBA", "waiting", "waiting for its turn since 09:59:30 UTC"),
                ("E-mail to Dave", "scheduled", "scheduled for 10:03:00 UTC (a later rule's); not sent if the incident is acknowledged by then"),
            ],
            pages.Select(p => (p.What(Name), p.Stage(T0), p.State(T0))));
        Assert.Equal(["SMS to Dave", "Chat message to U2"], (await t.Store.ListPagesUnderWayAsync(1, 2)).Select(p => p.What(Name)));
        Assert.Equal(["SMS to Dave"], (await t.Store.ListPagesUnderWayAsync(10, 10)).Select(p => p.What(Name)));
        Assert.Empty(await t.Store.ListPagesUnderWayAsync(2, 10));
    }

    /// <summary>
    /// A provider's word on a page (an SMS delivered) is noted once however often it is told, whenever: the same author's
    /// same text is the same entry, another's is its own; an entry of another kind is refused (it would not be found again).
    /// </summary>
    [Fact]
    public async Task APageEntryOnce_IsNotedOnce_ByItsAuthorAndText_WhateverItsTime()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var twilio = new Actor("twilio", "Twilio");
        TimelineEntry Entry(DateTimeOffset at, Actor author, string text) => new(at, TimelineKind.Page, author, text);

        var noted = await t.Store.WriteAsync(s => new[]
        {
            s.AppendPageEntryOnce(1, Entry(T0, twilio, "SMS to dave delivered (SM1).")),
            s.AppendPageEntryOnce(1, Entry(T0.AddMinutes(3), twilio, "SMS to dave delivered (SM1).")),
            s.AppendPageEntryOnce(1, Entry(T0, twilio, "SMS to dave delivered (SM2).")),
            s.AppendPageEntryOnce(1, Entry(T0, Actor.Bot, "SMS to dave delivered (SM1).")),
        });
        var again = await t.Store.WriteAsync(s => s.AppendPageEntryOnce(1, Entry(T0.AddHours(1), twilio, "SMS to dave delivered (SM2).")));

        Assert.Equal([true, false, true, true], noted);
        Assert.False(again);
        Assert.Equal(3, (await t.Store.GetTimelineAsync(1)).Count(e => e.Text.StartsWith("SMS to dave", StringComparison.Ordinal)));
        await Assert.ThrowsAsync<ArgumentException>(() => t.Store.WriteAsync(s => s.AppendPageEntryOnce(1, new TimelineEntry(T0, TimelineKind.Note, twilio, "x"))));
    }

    /// <summary>The topic last set in an incident's channel is kept (schema 38), replaced by the next, and is each incident's own.</summary>
    [Fact]
    public async Task AChannelsTopic_IsKept_AndReplaced_ForItsIncidentOnly()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        await t.IngestAsync(Batch("g2", Firing("b1", T0)));

        Assert.Null(await t.Store.GetChannelTopicAsync(1));
        await t.Store.WriteAsync(s => { s.SaveChannelTopic(1, "SEV3 | triggered"); return 0; });
        await t.Store.WriteAsync(s => { s.SaveChannelTopic(1, "SEV3 | acknowledged"); return 0; });

        Assert.Equal(("SEV3 | acknowledged", null), (await t.Store.GetChannelTopicAsync(1), await t.Store.GetChannelTopicAsync(2)));
    }

    /// <summary>A job is left behind when one enqueued after it with its ordering key waits, due: not one of another key, one not yet due, or one done.</summary>
    [Fact]
    public async Task ALaterJobDue_IsOneOfTheSameOrderingKey_EnqueuedAfter_WaitingAndDue()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("r1", T0, "INC-1:refresh"));
            s.Enqueue(TestJob.Row("other", T0, "INC-2:refresh"));
            s.Enqueue(TestJob.Row("r2", T0.AddMinutes(1), "INC-1:refresh"));
        });
        var first = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(10), TimeSpan.FromMinutes(10))), j => j.Key == "r1");

        Assert.False(await t.Store.LaterJobIsDueAsync(first)); // r2 is not due yet; "other" is another key's
        t.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await t.Store.LaterJobIsDueAsync(first));
        await t.Store.WriteAsync(s => { s.CompleteJob(first); return 0; }); // the key's next is claimed only once it is done
        var r2 = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(JobsWanted.Each(10), TimeSpan.FromMinutes(10))), j => j.Key == "r2");
        Assert.False(await t.Store.LaterJobIsDueAsync(first)); // claimed: running, no longer waiting
        Assert.False(await t.Store.LaterJobIsDueAsync(r2));
    }

    private static List<JobKindAndLane> JobKinds() => [.. typeof(IJob).Assembly.GetTypes()
        .Where(type => !type.IsAbstract && type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJob<>)))
        .Select(type => (JobKindAndLane)typeof(JobKindAndLane).GetMethod(nameof(JobKindAndLane.Of))!.MakeGenericMethod(type).Invoke(null, null)!)];

    private sealed record JobKindAndLane(string Kind, JobLane Lane)
    {
        public static JobKindAndLane Of<TJob>()
            where TJob : class, IJob<TJob> => new(TJob.Kind, TJob.Lane);
    }

    [Fact]
    public async Task AClaimWhoseLeaseEnded_AndThatAnotherRunTook_ChangesNothing_WhateverItsRunRecords()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => { s.Enqueue(Job("a1", "A")); s.Enqueue(Job("a2", "A")); });
        var stale = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        t.Time.Advance(TimeSpan.FromMinutes(1));
        var taken = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        Assert.Equal((stale.Id, stale.Claims + 1), (taken.Id, taken.Claims));

        // The stalled run wakes: its retry, release, failure and completion all find the job held by the other run.
        await t.Store.WriteAsync(s => { s.RetryJob(stale, s.Now, "stalled"); return 0; });
        await t.Store.WriteAsync(s => { s.ReleaseJob(stale); return 0; });
        Assert.Empty(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))); // still held: not due again, a2 behind it
        await t.Store.WriteAsync(s => { s.FailJob(stale, "stalled"); s.CompleteJob(stale); return 0; });

        // The run that holds it completes it; a stale retry after that cannot make it due (and run) a third time.
        await t.Store.WriteAsync(s => { s.CompleteJob(taken); return 0; });
        await t.Store.WriteAsync(s => { s.RetryJob(stale, s.Now, "stalled"); s.RetryJob(taken, s.Now, "late"); return 0; });
        var next = Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
        Assert.Equal("a2", next.Key);
        Assert.Equal([2, 1], await OutboxColumnAsync(t, "state", r => r.GetInt32(0))); // a1 done, a2 claimed
    }

    [Fact]
    public async Task Reopen_ClaimsOfThePreviousRun_AreReleased_OnSqliteAtOnce_OnPostgresWhenTheirLeaseEnds()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => s.Enqueue(Job("a1")));
        Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));

        await t.ReopenAsync();

        if (Engine.IsPostgres)
        {
            // Another replica may be running it: only the end of its lease frees it.
            Assert.Empty(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
            t.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Single(await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
    }

    [Fact]
    public async Task WriteInteractive_GoesAheadOfQueuedBulkWork()
    {
        await using var t = NewStore();
        var writers = Engine.IsPostgres ? new StorageOptions().EffectiveWriters : 1;
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Every writer busy; meanwhile 100 bulk units and then one person's unit queue up.
        using var gate = new ManualResetEventSlim();
        using var started = new CountdownEvent(writers);
        var busy = Enumerable.Range(0, writers).Select(_ => t.Store.WriteAsync(s => { started.Signal(); gate.Wait(); order.Enqueue("slow"); return 0; })).ToList();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        var bulk = Enumerable.Range(0, 100).Select(i => t.Store.WriteAsync(s => { order.Enqueue($"bulk{i}"); return 0; })).ToList();
        var person = t.Store.WriteInteractiveAsync(s => { order.Enqueue("person"); return 0; });
        gate.Set();
        await Task.WhenAll(bulk.Concat(busy).Append(person));

        // A writer set free takes the person's unit before any bulk unit: it runs among the first the writers take.
        var ran = order.ToList();
        Assert.Equal("slow", ran[0]);
        Assert.InRange(ran.IndexOf("person"), 1, 2 * writers - 1);
    }

    [Fact]
    public async Task WriteInteractive_CommitsAlone_BeforeTheBulkWorkQueuedWithIt()
    {
        await using var t = NewStore(configure: OneWriterBatchingUpTo64);
        using var gate = new ManualResetEventSlim();
        var busy = HoldTheWriter(t, gate);

        // 100 webhooks of one alert group (a storm: batched together) and one person's unit queue up behind the busy writer.
        Task<int>? person = null;
        var ranBeforeThePersonsCommit = 0;
        var bulk = Enumerable.Range(0, 100).Select(_ => t.Store.WriteAsync(s =>
        {
            if (!CommittedEarlier(person!, ranBeforeThePersonsCommit))
            {
                ranBeforeThePersonsCommit++;
            }

            return 0;
        }, new Affinity("storm", []))).ToList();
        person = t.Store.WriteInteractiveAsync(s => 0);
        gate.Set();
        await Task.WhenAll(bulk.Append(busy).Append(person));

        // The person's batch held only their unit: it committed before any webhook's unit ran (no wait for a full batch).
        Assert.Equal(0, ranBeforeThePersonsCommit);
    }

    [Fact]
    public async Task WriteInteractive_CutsARunningBatchShort_TheRestRunsAfterTheirCommit()
    {
        await using var t = NewStore(configure: OneWriterBatchingUpTo64);
        using var gate = new ManualResetEventSlim();
        var blocker = HoldTheWriter(t, gate);

        // 100 webhooks of one alert group queue up (a storm: batched together); the first of their batch holds the writer
        // until a person's unit has arrived.
        using var secondGate = new ManualResetEventSlim();
        using var firstRunning = new ManualResetEventSlim();
        Task<int>? person = null;
        var ranBeforeThePersonsCommit = 0;
        var bulk = Enumerable.Range(0, 100).Select(i => t.Store.WriteAsync(s =>
        {
            if (i == 0)
            {
                firstRunning.Set();
                secondGate.Wait();
            }
            else if (!CommittedEarlier(person!, ranBeforeThePersonsCommit))
            {
                ranBeforeThePersonsCommit++;
            }

            return 0;
        }, new Affinity("storm", []))).ToList();
        gate.Set();
        Assert.True(firstRunning.Wait(TimeSpan.FromSeconds(10)));
        person = t.Store.WriteInteractiveAsync(s => 0);
        secondGate.Set();
        await Task.WhenAll(bulk.Append(blocker).Append(person));

        // The batch stopped after the unit that was running: the other 99 ran after the person's commit, and all committed.
        Assert.Equal(0, ranBeforeThePersonsCommit);
        Assert.All(bulk, b => Assert.True(b.IsCompletedSuccessfully));
    }

    /// <summary>
    /// One writer (PostgreSQL's are many), so that the bulk units queue behind the one held, and batches of the shared
    /// queue (PostgreSQL batches only a group's work, and only with several writers), so that a batch can be cut short.
    /// </summary>
    private static void OneWriterBatchingUpTo64(StorageOptions options)
    {
        options.Writers = 1;
        options.MaxBatch = 64;
    }

    /// <summary>
    /// Whether the person's unit had committed before this unit ran: its task completes on the thread pool, after the
    /// writer moved on, so the first unit after it waits a moment for it (a unit run before the person's commit waits in vain).
    /// </summary>
    private static bool CommittedEarlier(Task person, int seenBefore) =>
        person.Wait(seenBefore == 0 ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);

    /// <summary>A unit that holds the writer until <paramref name="gate"/> opens; returns once it is running.</summary>
    private static Task<int> HoldTheWriter(TempStore t, ManualResetEventSlim gate)
    {
        using var running = new ManualResetEventSlim();
        var unit = t.Store.WriteAsync(s => { running.Set(); gate.Wait(); return 0; });
        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        return unit;
    }
    [Fact]
    public async Task JobsEnqueued_IsRaisedAfterCommit()
    {
        await using var t = NewStore();
        var raised = new TaskCompletionSource();
        t.Store.JobsEnqueued += () => raised.TrySetResult();

        await t.Store.WriteAsync(s => s.Enqueue(Job("x")));

        await raised.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Migrations8To11_CountEachIncidentsAlertsAlreadyStored()
    {
        await using var t = NewStore();
        var a2 = WithRunbook("a2", "runbook", "https://runbooks/second");
        await t.IngestAsync(Alerts.Batch("g1", Alerts.Firing("a1", TestStore.Start), Alerts.Firing("a0", TestStore.Start)));
        t.Time.Advance(TimeSpan.FromSeconds(1));
        await t.IngestAsync(Alerts.Batch("g1", WithRunbook("a3", "runbook_url", "https://runbooks/first")));
        t.Time.Advance(TimeSpan.FromSeconds(1));
        await t.IngestAsync(Alerts.Batch("g1", a2, WithRunbook("a4", "runbook_url", "https://runbooks/first")));
        await t.IngestAsync(Alerts.Batch("g1", a2.Resolved(TestStore.Start.AddMinutes(1))));
        await t.IngestAsync(Alerts.Batch("g2", Alerts.Firing("b1", TestStore.Start)));
        await t.IngestAsync(Alerts.Batch("g1", Alerts.Firing("a5", TestStore.Start.AddHours(-1))));

        // The database as version 7 left it: no tally, the alerts' old indexes, the timeline's one index; then the bot
        // starts and migrates it (8 to the latest).
        await t.ReopenAfterAsync(
            (Engine.IsPostgres ? "DROP TRIGGER incidents_version ON incidents; DROP TRIGGER escalations_version ON escalations; " : "") +
            TempStore.UndoLatest + "DROP INDEX ix_alerts_seen; ALTER TABLE incidents DROP COLUMN alert_count; ALTER TABLE incidents DROP COLUMN firing_count; " +
            "ALTER TABLE incidents DROP COLUMN runbooks; DROP INDEX ix_incidents_group; ALTER TABLE incidents DROP COLUMN first_alert_at; " +
            "DROP INDEX ix_timeline_at; DROP INDEX ix_timeline_kind; DROP TABLE store_probe; DROP TABLE heartbeats; ALTER TABLE outbox DROP COLUMN trace_parent; DROP TABLE ack_links_used; DROP TABLE notification_rules; DROP TABLE turns; DROP TABLE oncall_overrides; DROP TABLE pages; DROP INDEX ix_incidents_created; DROP TABLE host_keys; DROP INDEX IF EXISTS ix_outbox_open; DROP INDEX IF EXISTS ix_outbox_waiting; ALTER TABLE outbox DROP COLUMN lane; ALTER TABLE incidents DROP COLUMN version; " +
            "DROP TABLE IF EXISTS alert_keys; DROP TABLE IF EXISTS alert_keys_merged; " +
            "CREATE INDEX ix_alerts_group ON alerts (group_key, fingerprint, incident_number); DELETE FROM schema_migrations WHERE version >= 8");

        var first = (await t.Store.GetIncidentAsync(1))!;
        var second = (await t.Store.GetIncidentAsync(2))!;
        Assert.Equal((6, 5), (first.AlertCount, first.FiringCount));
        Assert.Equal(["https://runbooks/first", "https://runbooks/second"], first.Runbooks);
        Assert.Equal((1, 1, 0), (second.AlertCount, second.FiringCount, second.Runbooks.Count));
        Assert.Equal((TestStore.Start.AddHours(-1), TestStore.Start), (first.FirstAlertAt, second.FirstAlertAt));
        await Bot.Core.Tests.Intake.AlertIntakeTests.AssertTallyAsync(t, 1, alerts: 6, firing: 5);
        Assert.Equal(await t.Store.GetTimelineAsync(1), await t.Store.ListTimelineAsync(1, new TimelineQuery(100)));
    }

    /// <summary>
    /// The timeline's index by kind (schema 25) holds what people and the bot write, not the alerts' entries (one a
    /// webhook, read by time): a kind of theirs is read through it, an alerts' kind through the index by time, and the
    /// readers name the index's condition as it does (else SQLite would not use it).
    /// </summary>
    [Fact]
    public async Task PeoplesKinds_AreReadThroughAnIndexWithoutTheAlertsEntries()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        await t.Store.WriteAsync(s =>
        {
            s.AppendTimeline(1, new TimelineEntry(T0.AddSeconds(1), TimelineKind.Note, new Actor("U1", "alice"), "Looking at the edge."));
            for (var i = 0; i < 3000; i++)
            {
                s.AppendTimeline(1, new TimelineEntry(T0.AddSeconds(2 + i), TimelineKind.AlertFiring, Actor.Source("alertmanager"), $"edge-{i} firing"));
            }

            return 0;
        });

        var notes = await t.Store.ListTimelineAsync(1, new TimelineQuery(10, Kinds: [TimelineKind.Note], NewestFirst: true));
        Assert.Equal(["Looking at the edge."], notes.Select(e => e.Text));
        var alerts = await t.Store.ListTimelineAsync(1, new TimelineQuery(2, Kinds: TimelineKindText.AlertActivity, NewestFirst: true));
        Assert.Equal(["edge-2999 firing", "edge-2998 firing"], alerts.Select(e => e.Text));
        Assert.Equal(Bot.Storage.Sql.SqlIncidentStore.NotAlertActivity, " AND kind NOT IN (" + string.Join(", ", TimelineKindText.AlertActivity.Select(k => $"'{k.Name()}'")) + ")");

        await using var connection = await t.OpenConnectionAsync();
        async Task<string> Text(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in new (string, object)[] { ("@n", 1L), ("@limit", 10) })
            {
                var parameter = command.CreateParameter();
                (parameter.ParameterName, parameter.Value) = (name, value);
                command.Parameters.Add(parameter);
            }

            await using var rows = await command.ExecuteReaderAsync();
            var text = new System.Text.StringBuilder();
            while (await rows.ReadAsync())
            {
                text.AppendLine(string.Join(" ", Enumerable.Range(0, rows.FieldCount).Select(i => rows.GetValue(i))));
            }

            return text.ToString();
        }

        // The reads the store sends: a person's kind, /incident timeline's people's and alerts' entries.
        await Text("ANALYZE");
        var explain = Engine.IsPostgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN ";
        string Plan(IReadOnlyCollection<TimelineKind> kinds) =>
            explain + Bot.Storage.Sql.SqlIncidentStore.TimelinePageSql(new TimelineQuery(10, Kinds: kinds, NewestFirst: true));
        Assert.Contains("ix_timeline_kind", await Text(Plan([TimelineKind.Note])));
        Assert.Contains("ix_timeline_kind", await Text(Plan(TimelineKindText.NotAlertActivity)));
        Assert.DoesNotContain("ix_timeline_kind", await Text(Plan(TimelineKindText.AlertActivity)));
        if (Engine.IsPostgres)
        {
            // Its metapage and one leaf, against the index by time's ~20 pages for the same 3,002 entries.
            Assert.Equal(16384, long.Parse(await Text("SELECT pg_relation_size('ix_timeline_kind')"), System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.EndsWith("WHERE kind NOT IN ('alert_firing', 'alert_resolved')", (await Text("SELECT sql FROM sqlite_master WHERE name = 'ix_timeline_kind'")).Trim());
        }
    }

    private static Alert WithRunbook(string fingerprint, string annotation, string url) =>
        Alerts.Firing(fingerprint, TestStore.Start) with { Annotations = LabelSet.From(new Dictionary<string, string> { [annotation] = url }) };
}

/// <summary>When the outbox worker must wake next: the earliest job it could claim, never one waiting behind another.</summary>
public abstract class NextDueTests(SqlEngine engine) : SqlStoreContract(engine)
{
    [Fact]
    public async Task NextDue_IsTheEarliestClaimableJob_NotOneBlockedBehindItsOrderingKey()
    {
        await using var t = NewStore();
        var now = t.Time.GetUtcNow();
        Assert.Null(await t.Store.NextDueAtAsync());

        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(new EffectJob("a", "k", "X", "{}", now.AddHours(1))); // a retry waiting an hour...
            s.Enqueue(new EffectJob("b", "k", "X", "{}", now));             // ...holds back the job behind it
            return true;
        });
        Assert.Equal(now.AddHours(1), await t.Store.NextDueAtAsync());

        await t.Store.WriteAsync(s => s.Enqueue(new EffectJob("c", "k", "Y", "{}", now.AddMinutes(5))));
        Assert.Equal(now.AddMinutes(5), await t.Store.NextDueAtAsync());
    }

    /// <summary>Asked for lanes, the earliest claimable job of those lanes: the worker waits for the lanes that have free slots.</summary>
    [Fact]
    public async Task NextDue_OfLanes_IsTheirEarliestClaimableJob()
    {
        await using var t = NewStore();
        var now = t.Time.GetUtcNow();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(new EffectJob("message", "k", "X", "{}", now));
            s.Enqueue(new EffectJob("page-later", "k", "P", "{}", now.AddHours(1)) { Lane = JobLane.Phone });
            s.Enqueue(new EffectJob("dm-later", "k", "D", "{}", now.AddMinutes(30)) { Lane = JobLane.ChatPaging });
            s.Enqueue(new EffectJob("page-behind", "k", "P", "{}", now) { Lane = JobLane.Phone }); // behind the one waiting an hour
            return true;
        });

        Assert.Equal(now, await t.Store.NextDueAtAsync());
        Assert.Equal(now, await t.Store.NextDueAtAsync([JobLane.Default]));
        Assert.Equal(now.AddHours(1), await t.Store.NextDueAtAsync([JobLane.Phone]));
        Assert.Equal(now.AddMinutes(30), await t.Store.NextDueAtAsync([JobLane.Phone, JobLane.ChatPaging]));
        Assert.Null(await t.Store.NextDueAtAsync([]));
    }
}

public sealed class NextDueTestsOnSqlite() : NextDueTests(SqlEngine.Sqlite);

public sealed class NextDueTestsOnPostgres() : NextDueTests(SqlEngine.Postgres);

public sealed class SqlIncidentStoreTestsOnSqlite() : SqlIncidentStoreTests(SqlEngine.Sqlite);

public sealed class SqlIncidentStoreTestsOnPostgres() : SqlIncidentStoreTests(SqlEngine.Postgres);

/// <summary>
/// SQLite keeps alerts' rows in the order they came, their key (incident, fingerprint) an index beside them (schema
/// 26): Alertmanager's fingerprints are hashes, so a storm's new alerts would otherwise land at random places in a
/// table clustered on its key, each changing a page SQLite logs whole.
/// </summary>
public sealed class SqliteAlertRowsTests
{
    [Fact]
    public async Task AlertsRows_AreKeptInTheOrderTheyCame_AndTheirKeyStillFindsThem()
    {
        await using var t = TempStore.Create(SqlEngine.Sqlite);
        string[] fingerprints = ["f3a9", "a1c2", "c7e0", "09bd", "e2f4"]; // out of the key's order, as hashes come
        foreach (var fingerprint in fingerprints)
        {
            await t.IngestAsync(Batch("g1", Firing(fingerprint, TestStore.Start)));
        }

        await t.IngestAsync(Batch("g1", Firing("c7e0", TestStore.Start))); // a repeat, found by its key: nothing new

        await using var connection = await t.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT fingerprint FROM alerts ORDER BY rowid";
        var stored = new List<string>();
        await using (var rows = await command.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                stored.Add(rows.GetString(0));
            }
        }

        Assert.Equal(fingerprints, stored);
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((5, 5), (incident.AlertCount, incident.FiringCount));
    }
}

public sealed class SqliteWriteAheadLogTests
{
    /// <summary>
    /// Under writes that never pause, the log is copied into the database by a background loop, and past its reset size
    /// it starts again from its beginning: the file is reused, never grows for ever (an operator's disk). Seen in the
    /// log's own header, whose checkpoint sequence number SQLite counts up each time the log starts over. The writes
    /// surge just after a pass of the loop that saw a small log, so that its next pass is a second away: the writer must
    /// wake it as the log passes its reset size.
    /// </summary>
    [Fact]
    public async Task UnderConstantWrites_TheLogStartsOverPastItsResetSize_AndNothingIsLost()
    {
        const int ResetFrames = 256; // 1 MiB
        await using var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteWalResetFrames = ResetFrames);
        var store = (Bot.Storage.Sqlite.SqliteIncidentStore)t.Sql;
        var log = Path.Combine(t.Folder, "bot.db-wal");
        await t.IngestAsync(Batch("storm", Firing(HashedFingerprint(-1), TestStore.Start)));
        var passes = store.CheckpointPasses;
        await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses > passes), "a pass of the checkpoint loop");

        var starts = new HashSet<uint>();
        var largest = 0L;
        var alerts = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var inFlight = new Queue<Task>();
        while (starts.Count < 4)
        {
            Assert.True(DateTime.UtcNow < deadline && largest < 1L << 30, $"the log started {starts.Count - 1} times over in 30 s of writes; its file is {largest >> 20} MiB");
            // Webhooks queued behind each other, so that the writer never waits for one (a passive checkpoint would then
            // reach the log's end, and the log start over of itself); 40 alerts each, their fingerprints spread over the
            // key as hashes are: many pages changed a commit.
            while (inFlight.Count < 16)
            {
                var batch = Enumerable.Range(alerts, 40).Select(n => Firing(HashedFingerprint(n), TestStore.Start)).ToArray();
                inFlight.Enqueue(t.IngestAsync(Batch("storm", batch)));
                alerts += batch.Length;
            }

            await inFlight.Dequeue();
            using var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var header = new byte[16];
            if (await file.ReadAsync(header) == header.Length)
            {
                starts.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12))); // the checkpoint sequence
            }

            largest = Math.Max(largest, file.Length);
        }

        await Task.WhenAll(inFlight);
        // The writer wakes the background loop as the log passes its reset size (the file stays at 1-2 MiB): without it,
        // the loop's own next pass, a second away, found the log 50-83 MiB long at the rates of these writes (tried).
        Assert.True(largest < 8L << 20, $"the log's file reached {largest >> 20} MiB with a reset size of 1 MiB");
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((alerts + 1, alerts + 1), (incident.AlertCount, incident.FiringCount));
    }

    /// <summary>
    /// A log that starts over by itself (its writer idle while a pass of the loop caught up, as on most days) does not
    /// count towards its reset size: what the writer wrote in all, many times that size, never woke the loop after each
    /// batch for good (it did, 2026-12-06: a checkpoint and a sync of the database a batch).
    /// </summary>
    [Fact]
    public async Task ALogThatStartsOverByItself_DoesNotWakeTheLoopAfterEveryBatch()
    {
        await using var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteWalResetFrames = 64); // 256 KiB
        var store = (Bot.Storage.Sqlite.SqliteIncidentStore)t.Sql;
        var n = 0;
        async Task Webhooks(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await t.IngestAsync(Batch("quiet", Firing(HashedFingerprint(n++), TestStore.Start)));
            }
        }

        // A few webhooks, then a pass of the loop (which copies them all: the next write starts the log over), again and
        // again: far more pages written than the reset size, the log never near it.
        for (var round = 0; round < 5; round++)
        {
            await Webhooks(4);
            var passes = store.CheckpointPasses;
            await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses > passes), "a pass of the checkpoint loop");
        }

        var before = store.CheckpointPasses;
        await Webhooks(6);
        Assert.True(store.CheckpointPasses - before <= 1, $"{store.CheckpointPasses - before} passes of the loop for 6 webhooks one after another");
    }

    /// <summary>
    /// A pass of the loop blocks for as long as it copies the log and syncs the database (past 250 ms a pass in a storm
    /// on one core): it runs on a thread of its own, as the writer does, never on one of the thread pool's, on which the
    /// webhooks' answers wait (a replica whose runtime counts one CPU starts with one such thread).
    /// </summary>
    [Fact]
    public async Task TheCheckpointLoop_RunsOnAThreadOfItsOwn()
    {
        var passesSeen = new System.Collections.Concurrent.ConcurrentQueue<(bool OnThePool, string? Thread)>();
        var checkpoints = Bot.Core.Telemetry.BotTelemetry.CheckpointDuration; // made before the listener is told of it
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == checkpoints)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        // Called on the thread that timed the pass (the stores of tests beside this one included: all have the loop).
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "by", Value: "background" })
                {
                    passesSeen.Enqueue((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
                }
            }
        });
        listener.Start();

        await using var t = TempStore.Create(SqlEngine.Sqlite);
        var store = (Bot.Storage.Sqlite.SqliteIncidentStore)t.Sql;
        await t.IngestAsync(Batch("db", Firing(HashedFingerprint(1), TestStore.Start)));
        var passes = store.CheckpointPasses;
        await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses > passes), "a pass of the checkpoint loop");

        Assert.NotEmpty(passesSeen);
        Assert.All(passesSeen, pass => Assert.Equal((false, "sqlite-checkpoint"), pass));
    }
}
