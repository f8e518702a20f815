using Bot.Core.Alerts;
using Bot.Core.Intake;
using Bot.Storage.Sqlite;
using Bot.TestKit;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// SQLite keeps the alerts' key apart from their rows: a new alert's key waits in the writer's memory and is merged into
/// <c>alert_keys</c> a generation at a time, a slice between two batches (<see cref="AlertKeys"/>). Small generations and
/// slices here (<see cref="StorageOptions.SqliteKeyGeneration"/>, <see cref="StorageOptions.SqliteKeySlice"/>), so that
/// merges happen within a few webhooks.
/// </summary>
public sealed class AlertKeysTests
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static TempStore NewStore(int generation, int slice, Func<string, long>? hash = null) =>
        TempStore.Create(SqlEngine.Sqlite, configure: o =>
        {
            o.SqliteKeyGeneration = generation;
            o.SqliteKeySlice = slice;
            o.SqliteFingerprintHash = hash;
        });

    private static AlertKeys Keys(TempStore t) => ((SqliteIncidentStore)t.Sql).Keys;

    private static Alert Numbered(int n) => Firing(HashedFingerprint(n), T0.AddSeconds(n), instance: $"edge-{n}");

    /// <summary>Alerts 1 to <paramref name="count"/>, a webhook each (a batch each, and a merge step after each), each new.</summary>
    private static async Task IngestOneByOneAsync(TempStore t, int count)
    {
        for (var n = 1; n <= count; n++)
        {
            Assert.Equal(1, (await t.IngestAsync(Batch("db", Numbered(n)))).NewAlerts);
        }
    }

    /// <summary>
    /// Sends webhooks that change nothing (a batch each, and a merge step after it) until the keys up to
    /// <paramref name="id"/> are merged (a generation is sorted by a thread of the pool meanwhile).
    /// </summary>
    private static Task MergedUpToAsync(TempStore t, long id) => Eventually.HoldsAsync(
        async () =>
        {
            await t.IngestAsync(Batch("db", Numbered(1)));
            return Keys(t).MergedUpTo >= id;
        },
        $"the keys merged up to {id}");

    private static async Task<long> CountAsync(TempStore t, string sql)
    {
        await using var connection = await t.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task AssertEveryAlertStoredOnceAsync(TempStore t, int alerts)
    {
        Assert.Equal(alerts, await CountAsync(t, "SELECT COUNT(*) FROM alerts"));
        Assert.Equal(alerts, await CountAsync(t, "SELECT COUNT(DISTINCT incident_number || ' ' || fingerprint) FROM alerts"));
        Assert.Equal(0, await CountAsync(t, "SELECT COUNT(*) FROM (SELECT alert_id FROM alert_keys GROUP BY alert_id HAVING COUNT(*) > 1)"));
        Assert.Equal(0, await CountAsync(t, "SELECT COUNT(*) FROM alert_keys k LEFT JOIN alerts a ON a.id = k.alert_id WHERE a.id IS NULL OR a.incident_number <> k.incident_number"));
    }

    [Fact]
    public async Task MergedKeys_LeaveMemory_AndTheirAlertsAreStillFound_AsRepeatsAndResolutions()
    {
        await using var t = NewStore(generation: 8, slice: 3);
        await IngestOneByOneAsync(t, 20);

        await MergedUpToAsync(t, 16); // two generations of 8

        Assert.True(Keys(t).Held <= 4, $"{Keys(t).Held} keys held in memory after two generations of 8 were merged");
        Assert.True(await CountAsync(t, "SELECT COUNT(*) FROM alert_keys") >= 16);

        // Merged (alert 2), in memory (alert 19): both are repeats, then resolved; a new one is new.
        var repeats = await t.IngestAsync(Batch("db", Numbered(2), Numbered(19), Numbered(21)));
        Assert.Equal((1, 0, 2), (repeats.NewAlerts, repeats.ChangedAlerts, repeats.UnchangedAlerts));
        var resolved = await t.IngestAsync(Batch("db", Numbered(2).Resolved(T0.AddMinutes(5)), Numbered(19).Resolved(T0.AddMinutes(5))));
        Assert.Equal((0, 2), (resolved.NewAlerts, resolved.ChangedAlerts));

        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((21, 19), (incident.AlertCount, incident.FiringCount));
        Assert.Equal(2, await CountAsync(t, "SELECT COUNT(*) FROM alerts WHERE status = 'resolved'"));
        await AssertEveryAlertStoredOnceAsync(t, 21);
    }

    [Fact]
    public async Task AResolutionAfterItsIncidentClosed_FindsItsAlert_MergedOrNot()
    {
        await using var t = NewStore(generation: 4, slice: 2);
        await IngestOneByOneAsync(t, 10);

        await MergedUpToAsync(t, 8);
        await t.Store.WriteAsync(s =>
        {
            var incident = s.GetIncident(1)!;
            incident.Resolve(Bot.Core.Incidents.Actor.Bot, s.Now);
            s.UpdateIncident(incident);
            return 0;
        });

        // Alert 3's key is in the table, alert 10's in memory: each late resolution finds its alert in the closed incident.
        var late = await t.IngestAsync(Batch("db", Numbered(3).Resolved(T0.AddMinutes(5)), Numbered(10).Resolved(T0.AddMinutes(5))));
        Assert.Equal((0, 2, 0), (late.NewAlerts, late.ChangedAlerts, late.Opened.Count));
        Assert.Equal(2, await CountAsync(t, "SELECT COUNT(*) FROM alerts WHERE status = 'resolved' AND incident_number = 1"));
    }

    [Fact]
    public async Task AfterARestart_KeysNotYetMerged_AreReadBackFromTheirRows_AndAMergeCutShortIsDoneOnce()
    {
        await using var t = NewStore(generation: 6, slice: 1);
        Assert.Equal(6, (await t.IngestAsync(Batch("db", [.. Enumerable.Range(1, 6).Select(Numbered)]))).NewAlerts);

        // The step after that batch freezes the generation (ids 1-6, sorted off the thread); each step after a webhook
        // that adds nothing merges one key. Stop when some of it is in the table and some is not, and restart.
        await Eventually.HoldsAsync(
            async () =>
            {
                await t.IngestAsync(Batch("db", Numbered(1)));
                return await CountAsync(t, "SELECT COUNT(*) FROM alert_keys") >= 2;
            },
            "a slice of the first generation merged");

        Assert.Equal(0, Keys(t).MergedUpTo);
        await t.ReopenAsync();

        Assert.Equal((0, 6), (Keys(t).MergedUpTo, Keys(t).Held)); // every alert after the last whole generation, read back
        var repeats = await t.IngestAsync(Batch("db", Numbered(1), Numbered(5), Numbered(6), Numbered(7)));
        Assert.Equal((1, 3), (repeats.NewAlerts, repeats.UnchangedAlerts));

        await MergedUpToAsync(t, 7); // the generation after the restart, ids 1-7: its keys merged before are skipped
        Assert.Equal(7, await CountAsync(t, "SELECT COUNT(*) FROM alert_keys"));
        Assert.Equal(0, Keys(t).Held);
        await AssertEveryAlertStoredOnceAsync(t, 7);
        Assert.Equal(7, (await t.Store.GetIncidentAsync(1))!.AlertCount);
    }

    [Fact]
    public async Task FingerprintsSharingAHash_AreToldApartByTheirRows()
    {
        // Every fingerprint one hash: each key found by its hash is a candidate, and only its row says whose it is.
        await using var t = NewStore(generation: 4, slice: 2, hash: _ => 42);
        await IngestOneByOneAsync(t, 9);

        await MergedUpToAsync(t, 8);

        var repeats = await t.IngestAsync(Batch("db", Numbered(2), Numbered(9), Numbered(11)));
        Assert.Equal((1, 2), (repeats.NewAlerts, repeats.UnchangedAlerts));
        var resolved = await t.IngestAsync(Batch("db", Numbered(2).Resolved(T0.AddMinutes(5)), Numbered(9).Resolved(T0.AddMinutes(5))));
        Assert.Equal(2, resolved.ChangedAlerts);
        Assert.Equal(
            [HashedFingerprint(2), HashedFingerprint(9)],
            await ResolvedAsync(t));
        await AssertEveryAlertStoredOnceAsync(t, 10);
    }

    private static Task<List<string>> ResolvedAsync(TempStore t) =>
        t.ColumnAsync("SELECT fingerprint FROM alerts WHERE status = 'resolved' ORDER BY id", r => r.GetString(0));

    /// <summary>
    /// A store's database with alerts 1 to 300 (one webhook, their keys not merged), closed; then their keys read back by
    /// an <see cref="AlertKeys"/> of the test's own, as after a restart, on a connection of the test's: one generation of
    /// 300 to merge by hand.
    /// </summary>
    private static async Task<(TempStore Store, Microsoft.Data.Sqlite.SqliteConnection Connection, SqliteDirectStatements Direct, AlertKeys Keys)> ThreeHundredKeysReadBackAsync()
    {
        var t = NewStore(generation: 1000, slice: 10);
        Assert.Equal(300, (await t.IngestAsync(Batch("db", [.. Enumerable.Range(1, 300).Select(Numbered)]))).NewAlerts);
        await t.Sql.DisposeAsync();
        var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.Folder, "bot.db")};Pooling=false;Default Timeout=1");
        connection.Open();
        var keys = new AlertKeys(generation: 100, slice: 1000, hash: null, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        keys.Load(connection);
        Assert.Equal(300, keys.Held);
        return (t, connection, new SqliteDirectStatements(connection), keys);
    }

    /// <summary>Merge steps (with a person waiting) until the generation is sorted and a slice of it merged.</summary>
    private static Task FirstSliceMergedAsync(Microsoft.Data.Sqlite.SqliteConnection connection, SqliteDirectStatements direct, AlertKeys keys) =>
        Eventually.HoldsAsync(
            () =>
            {
                keys.MergeStep(connection, direct, personWaits: () => true);
                return Task.FromResult(keys.Slices > 0);
            },
            "the frozen generation sorted and a slice of it merged");

    [Fact]
    public async Task AMergeStep_CommitsAfterOneStatement_WhenAPersonWaits()
    {
        var (t, connection, direct, keys) = await ThreeHundredKeysReadBackAsync();
        await using (t)
        using (connection)
        using (direct)
        {
            // A person waits: the step stops after its first statement (64 keys) and commits them.
            await FirstSliceMergedAsync(connection, direct, keys);
            Assert.Equal((64L, 236, 0L), (await CountAsync(t, "SELECT COUNT(*) FROM alert_keys"), keys.Held, keys.MergedUpTo));

            keys.MergeStep(connection, direct, personWaits: () => false);
            Assert.Equal((300L, 0, 300L), (await CountAsync(t, "SELECT COUNT(*) FROM alert_keys"), keys.Held, keys.MergedUpTo));
        }
    }

    [Fact]
    public async Task AMergeStepThatFails_KeepsItsKeysInMemory_AndTheNextStepMergesThem()
    {
        var (t, connection, direct, keys) = await ThreeHundredKeysReadBackAsync();
        await using (t)
        using (connection)
        using (direct)
        {
            await FirstSliceMergedAsync(connection, direct, keys);

            // Another connection holds the database's write lock: the step cannot write (SQLITE_BUSY, within a second
            // here), logs, and keeps its keys for the next step.
            using (var busy = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.Folder, "bot.db")};Pooling=false"))
            {
                busy.Open();
                SqliteSchema.Exec(connection, "PRAGMA busy_timeout = 0");
                SqliteSchema.Exec(busy, "BEGIN IMMEDIATE");
                keys.MergeStep(connection, direct, personWaits: () => false);
                Assert.Equal((1L, 236, 0L), (keys.Slices, keys.Held, keys.MergedUpTo));
                Assert.Equal(1, keys.MergeFailures); // what the store's counter incidentbot.store.alert_keys.merge_failures reports
                SqliteSchema.Exec(busy, "ROLLBACK");
            }

            keys.MergeStep(connection, direct, personWaits: () => false);
            Assert.Equal((300L, 0, 300L), (await CountAsync(t, "SELECT COUNT(*) FROM alert_keys"), keys.Held, keys.MergedUpTo));
        }
    }

    [Fact]
    public async Task TheStoresMetrics_ReportTheKeysHeldAndTheFailedMerges()
    {
        await using var t = NewStore(generation: 1000, slice: 10);
        await IngestOneByOneAsync(t, 3);

        // As an exporter reads them: this store's instruments, observed.
        var observed = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == ((SqliteIncidentStore)t.Sql).Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => observed[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(
            new Dictionary<string, long> { ["incidentbot.store.alert_keys.held"] = 3, ["incidentbot.store.alert_keys.merge_failures"] = 0 },
            observed);
    }

    [Fact]
    public async Task AnUndoneInsert_LeavesNoKeyBehind()
    {
        await using var t = NewStore(generation: 1000, slice: 10);
        await t.IngestAsync(Batch("db", Numbered(1)));

        // A unit that inserts an alert and then fails: its transaction is rolled back, and its key forgotten. The id it
        // took is the next insert's; should the key stay, alert 3 would be found as alert 2's row.
        await Assert.ThrowsAsync<InvalidOperationException>(() => t.Store.WriteAsync<int>(s =>
        {
            ((IIntakeSession)s).UpsertAlert(1, "db", Numbered(2), isNew: true);
            Assert.NotNull(s.GetIncident(1)); // a read: the insert waiting goes first
            Assert.Equal(2, Keys(t).Held);
            throw new InvalidOperationException("the unit's own error");
        }));
        Assert.Equal(1, Keys(t).Held);

        var next = await t.IngestAsync(Batch("db", Numbered(3), Numbered(2)));
        Assert.Equal(2, next.NewAlerts);
        await AssertEveryAlertStoredOnceAsync(t, 3);
    }

    [Fact]
    public async Task TheMigration_KeysTheAlertsAlreadyStored()
    {
        await using var t = NewStore(generation: 1000, slice: 10);
        await IngestOneByOneAsync(t, 5);

        // The database as schema 28 left it, but for the rows' ids (the same rowids, named): no key table, no lanes.
        await t.ReopenAfterAsync(TempStore.UndoLatest + "DROP TABLE alert_keys; DROP TABLE alert_keys_merged; DROP INDEX ix_outbox_waiting; ALTER TABLE outbox DROP COLUMN lane; ALTER TABLE incidents DROP COLUMN version; DELETE FROM schema_migrations WHERE version >= 29");

        Assert.Equal((5, 0), (Keys(t).MergedUpTo, Keys(t).Held));
        Assert.Equal(5, await CountAsync(t, $"SELECT COUNT(*) FROM alert_keys k JOIN alerts a ON a.id = k.alert_id AND a.incident_number = k.incident_number"));
        var repeats = await t.IngestAsync(Batch("db", Numbered(1), Numbered(4), Numbered(6)));
        Assert.Equal((1, 2), (repeats.NewAlerts, repeats.UnchangedAlerts));
        await AssertEveryAlertStoredOnceAsync(t, 6);
    }
}
