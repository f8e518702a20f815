using Bot.TestKit;
using System.Collections.Concurrent;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Storage.Postgres;
using Bot.Storage.Sql;
using Bot.Tests.Shared;
using Npgsql;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Postgres;

/// <summary>
/// Two replicas (two stores, each with its own writer) on one PostgreSQL database at once: the database, not luck,
/// keeps one open incident per group, every change to an incident, and every outbox job done once.
/// </summary>
public sealed class PostgresIncidentStoreTests
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    [Fact]
    public async Task ReplicasStartingTogetherOnAnEmptyDatabase_MigrateItOnce()
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        var options = new StorageOptions { Provider = "Postgres", ConnectionString = connectionString };

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            Task.Run(() => PostgresIncidentStore.Open(options, TimeProvider.System, NullLogger.Instance))));
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
            var versions = new List<long>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    versions.Add(reader.GetInt64(0));
                }
            }

            Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion).Select(v => (long)v), versions);
            Assert.Equal(1, (await stores[3].WriteAsync(s => { var (i, _) = Incident.Open("t", Severity.Sev3, "x", "g", Actor.Bot, "x", s.Now); s.InsertIncident(i); return i.Number; })));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }

            PostgresServer.Shared.DropSchema(connectionString);
        }
    }

    [Fact]
    public async Task EveryIndexedTextColumn_ComparesByteByByte_WhateverTheDatabasesCollation()
    {
        // In a database with a linguistic collation (en_US.UTF-8) every lookup and insert in an index on text went through
        // its rules: on 100 groups the batch's alert read took 2.5 times as long. A column left to the database's
        // collation shows here as "default".
        var connectionString = PostgresServer.Shared.CreateSchema();
        await PostgresIncidentStore.Open(new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }, TimeProvider.System, NullLogger.Instance).DisposeAsync();
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                """
                SELECT DISTINCT c.relname || '.' || a.attname || ' ' || COALESCE(co.collname, '?')
                FROM pg_index i
                JOIN pg_class c ON c.oid = i.indrelid
                JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
                LEFT JOIN pg_collation co ON co.oid = a.attcollation
                WHERE c.relnamespace = current_schema()::regnamespace AND a.attcollation <> 0
                ORDER BY 1
                """, connection);
            var columns = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            Assert.Contains("alerts.fingerprint C", columns);
            Assert.Contains("incidents.open_group_key C", columns);
            Assert.Contains("timeline.kind C", columns);
            Assert.Contains("outbox.key C", columns);
            Assert.DoesNotContain(columns, c => !c.EndsWith(" C", StringComparison.Ordinal));
        }
        finally
        {
            PostgresServer.Shared.DropSchema(connectionString);
        }
    }

    [Fact]
    public async Task TheDatabaseCrashesAndComesBack_WritesAndReadsFailMeanwhile_ThenWorkAtOnce()
    {
        var server = PostgresServer.Start(durable: true); // a server of its own, to crash: durable, as in production
        try
        {
            await using var store = PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema() }, TimeProvider.System, NullLogger.Instance);
            var intake = new Core.Intake.AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())));
            Task Ingest(string group) => store.WriteAsync(s => intake.Ingest(s, Batch(group, Firing("a1", T0))));
            await Ingest("g1");
            await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => Ingest($"warm-{i}")))); // every writer connected
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.ListIncidentsAsync(new IncidentQuery(null, false, 10)))); // pooled reads

            server.Crash();
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Ingest("g2")); // a 503: the sender retries
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckAsync());

            server.StartAgain();

            // Back at once: not one failure more for each connection the crash left dead (the writers', the read pool's).
            for (var i = 0; i < 20; i++)
            {
                await Ingest($"after-{i}");
                await store.ListIncidentsAsync(new IncidentQuery(null, false, 10));
            }

            await store.CheckAsync();
            Assert.Equal(1 + 64 + 20, (await store.ListIncidentsAsync(new IncidentQuery(null, false, 500))).Count); // nothing acknowledged was lost
        }
        finally
        {
            server.Crash();
        }
    }

    [Fact]
    public async Task ADatabaseThatTurnsReadOnly_IsNotReady_UntilItWritesAgain()
    {
        // What a failover to a standby looks like to the writers' open connections: every transaction is read-only.
        var server = PostgresServer.Start(durable: false);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        try
        {
            await using var store = PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = 2 }, time, NullLogger.Instance);
            var intake = new Core.Intake.AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())));
            Task Ingest(string group) => store.WriteAsync(s => intake.Ingest(s, Batch(group, Firing("a1", T0))));
            await Ingest("g1");
            await store.CheckAsync();

            server.Execute("ALTER SYSTEM SET default_transaction_read_only = on; SELECT pg_reload_conf()");
            await Eventually.HoldsAsync(async () => await ThrowsAsync(() => Ingest("g2")), "the database read-only");
            var notReady = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckAsync());
            Assert.Contains("read-only", notReady.Message);
            await store.ListIncidentsAsync(new IncidentQuery(null, false, 10)); // it still reads: that alone is not ready

            server.Execute("ALTER SYSTEM RESET default_transaction_read_only; SELECT pg_reload_conf()");
            await Assert.ThrowsAsync<StoreUnavailableException>(() => store.CheckAsync()); // held: a commit failed just now
            // Each writer sees the reload at its next statement: a probe may still fail once, and holds readiness again.
            await Eventually.HoldsAsync(
                async () =>
                {
                    time.Advance(new StorageOptions().FailedCommitHold);
                    return !await ThrowsAsync(() => store.CheckAsync());
                },
                "ready again");
            await Ingest("g2");
        }
        finally
        {
            server.Crash();
        }

        static async Task<bool> ThrowsAsync(Func<Task> act)
        {
            try
            {
                await act();
                return false;
            }
            catch (StoreUnavailableException)
            {
                return true;
            }
        }
    }

    [Fact]
    public async Task ADatabaseNewerThanTheBot_StopsIt_SayingSo()
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        var options = new StorageOptions { Provider = "Postgres", ConnectionString = connectionString };
        try
        {
            await PostgresIncidentStore.Open(options, TimeProvider.System, NullLogger.Instance).DisposeAsync();
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("INSERT INTO schema_migrations (version, applied_at) VALUES (99, now())", connection);
                await command.ExecuteNonQueryAsync();
            }

            var e = Assert.Throws<InvalidOperationException>(() => PostgresIncidentStore.Open(options, TimeProvider.System, NullLogger.Instance));
            Assert.Contains($"schema version 99, newer than this bot knows ({PostgresSchema.LatestVersion})", e.Message);
        }
        finally
        {
            PostgresServer.Shared.DropSchema(connectionString);
        }
    }

    [Fact]
    public async Task TheClaim_ReadsTheJobsDueNow_NotEveryDoneJobTheOutboxKeeps_NorEveryJobWaitingForLater()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var connection = (NpgsqlConnection)await t.OpenConnectionAsync();
        await using (var fill = new NpgsqlCommand(
            """
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at)
            SELECT 'done-' || n, 'chat.post', 'INC-' || n, '{}', 0, 0, now() - interval '1 hour', now() - interval '1 hour'
            FROM generate_series(1, 5000) n;
            ANALYZE outbox;
            UPDATE outbox SET state = 2, attempts = 1, completed_at = now();
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, lane)
            SELECT 'later-' || n, 'escalation.step', 'step-' || n, '{}', 0, 0, now() + interval '1 hour', now(), 3
            FROM generate_series(1, 5000) n;
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, lane)
            SELECT 'reminder-' || n, 'incident.update_reminder', 'INC-' || n || ':reminders', '{}', 0, 0, now() + interval '1 hour', now(), 0
            FROM generate_series(1, 5000) n;
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, lane)
            SELECT 'dm-later-' || n, 'escalation.page', 'dm-later-' || n, '{}', 0, 0, now() + interval '1 hour', now(), 2
            FROM generate_series(1, 5000) n;
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, lane)
            SELECT 'email-later-' || n, 'escalation.notify', 'email-later-' || n, '{}', 0, 0, now() + interval '1 hour', now(), 4
            FROM generate_series(1, 5000) n;
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, lane)
            VALUES ('due', 'chat.post', 'INC-9', '{}', 0, 0, now() - interval '1 minute', now(), 0),
                   ('sms', 'escalation.notify', 'sms', '{}', 0, 0, now() - interval '1 minute', now(), 1),
                   ('dm', 'escalation.page', 'dm', '{}', 0, 0, now() - interval '1 minute', now(), 2),
                   ('step', 'escalation.step', 'step', '{}', 0, 0, now() - interval '1 minute', now(), 3),
                   ('email', 'escalation.notify', 'email', '{}', 0, 0, now() - interval '1 minute', now(), 4),
                   ('hook', 'escalation.webhook', 'hook', '{}', 0, 0, now() - interval '1 minute', now(), 5);
            """,
            connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        // The statistics were taken during a burst, when those jobs waited (as autovacuum's often are: a storm's jobs are
        // done faster than it analyzes). Enqueued before the due jobs, 5,000 escalation steps (the timers' lane), 5,000
        // reminders (the default lane), 5,000 DMs (the chat's pages) and 5,000 e-mails wait for a later time. The plan is the one the store runs: the claim's statement
        // inside the schema's function, as auto_explain reports it.
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await using (var explain = new NpgsqlCommand(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; " +
            "SET auto_explain.log_nested_statements = on; SET auto_explain.log_format = json; SET client_min_messages = log",
            connection))
        {
            await explain.ExecuteNonQueryAsync();
        }

        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using var claim = new NpgsqlCommand(PostgresDialect.Instance.ClaimDueJobs, connection, tx);
            claim.Parameters.AddWithValue("@lease", DateTimeOffset.UtcNow.AddMinutes(5));
            claim.Parameters.AddWithValue("@now", DateTimeOffset.UtcNow);
            foreach (var (name, value) in PostgresDialect.Instance.ClaimCounts(JobsWanted.Each(16)))
            {
                claim.Parameters.AddWithValue(name, value);
            }
            var claimed = new List<string>();
            await using (var reader = await claim.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    claimed.Add(reader.GetString(1));
                }
            }

            Assert.Equal(["dm", "due", "email", "hook", "sms", "step"], claimed.Order()); // the due job of each lane

            await tx.RollbackAsync();
        }

        var plan = plans.Select(m => System.Text.Json.JsonDocument.Parse(m[m.IndexOf('{', StringComparison.Ordinal)..]).RootElement.GetProperty("Plan"))
            .Single(p => p.GetProperty("Node Type").GetString() == "ModifyTable");
        var passedOver = Nodes(plan).Sum(n => n.TryGetProperty("Rows Removed by Filter", out var removed) ? removed.GetInt64() : 0);
        Assert.True(passedOver < 100, $"the claim read {passedOver} rows it did not want: {plan}");

        static IEnumerable<System.Text.Json.JsonElement> Nodes(System.Text.Json.JsonElement node) =>
            node.TryGetProperty("Plans", out var children) ? children.EnumerateArray().SelectMany(Nodes).Prepend(node) : [node];
    }

    /// <summary>
    /// With one writer, the units of no alert group queued while it was busy (jobs' claims, their handlers' writes and
    /// completions) commit in its next turn at them, each in a transaction of its own, before the batch of webhooks queued
    /// meanwhile. One a turn, each waited behind a batch of webhooks: under a flood of them a page's DM waited 30 s (the
    /// escalation benchmark); here the webhooks' batch went first. Likewise with <c>Storage:MaxBatch</c> set (two a transaction).
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(2)]
    public async Task JobsUnitsQueuedBehindABusyWriter_CommitInItsNextTurn_BeforeTheWebhooksQueuedWithThem(int? maxBatch)
    {
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => (o.Writers, o.MaxBatch) = (1, maxBatch));
        var order = new ConcurrentQueue<string>();
        using var held = await HeldWriter.HoldAsync(t.Store);
        var webhooks = Enumerable.Range(0, 3).Select(i => t.Store.WriteAsync(_ => { order.Enqueue($"w{i}"); return i; }, new Affinity("g", []))).ToList();
        var jobs = Enumerable.Range(0, 5).Select(i => t.Store.WriteAsync(_ => { order.Enqueue($"j{i}"); return i; })).ToList();
        await held.ReleaseAsync();
        await Task.WhenAll(webhooks.Concat(jobs));

        Assert.Equal(["j0", "j1", "j2", "j3", "j4", "w0", "w1", "w2"], order);
    }

    [Fact]
    public async Task AKeyThisReplicaInserted_IsNotInsertedAgainForMinutes_ThenIs_OnceAnotherReplicaDeletedItsDoneJob()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => o.Writers = 1); // one writer: the one that remembers
        await using var other = t.OpenReplica();
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));
        await CompleteAsync(t.Store, "k");

        // Past the hour a done job is kept at least, the other replica deletes it; this replica's writer no longer
        // trusts what it inserted an hour ago, and asks again: a new job.
        t.Time.Advance(OutboxOptions.KeepDoneAtLeast + TimeSpan.FromMinutes(1));
        Assert.Equal(1, await other.WriteAsync(s => s.DeleteDoneJobs(t.Time.GetUtcNow() - OutboxOptions.KeepDoneAtLeast, 100)));
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));

        Assert.Equal(["k"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Select(j => j.Key));
    }

    [Fact]
    public async Task AKeyThisReplicaFoundInTheOutbox_IsNotTrusted_AnotherReplicaMayDeleteItsDoneJob()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => o.Writers = 1);
        await using var other = t.OpenReplica();
        await other.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));
        await CompleteAsync(other, "k");
        t.Time.Advance(OutboxOptions.KeepDoneAtLeast + TimeSpan.FromMinutes(1));

        // This replica asks for k and finds the other's done job (an hour old); the other deletes it; this one asks again.
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));
        Assert.Equal(1, await other.WriteAsync(s => s.DeleteDoneJobs(t.Time.GetUtcNow() - OutboxOptions.KeepDoneAtLeast, 100)));
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));

        Assert.Equal(["k"], (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Select(j => j.Key));
    }

    /// <summary>
    /// What PostgreSQL receives from a storm's webhooks, counted by <c>pg_stat_statements</c> on a server of the test's
    /// own: each webhook's new alerts in one plain insert (an upsert inserts speculatively, two WAL records a row), the
    /// one alert that changed upserted, and each outbox key inserted once (the writer remembers the keys it inserted; a
    /// storm's webhooks each ask for the incident's digest of the window: 44 inserts for 6 jobs without it, tried).
    /// </summary>
    [Fact]
    public async Task AStormsWebhooks_NewAlertsAreInsertedNotUpserted_EachOutboxKeyInsertedOnce()
    {
        var sent = await CountStatementsAsync(writers: 1, async (store, intake, _) =>
        {
            for (var i = 0; i < 20; i++)
            {
                await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing($"a{i}", T0), Firing($"b{i}", T0))));
            }

            await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a0", T0).Resolved(T0.AddMinutes(1)))));
        });

        Assert.NotEmpty(sent.Statements);
        Assert.Equal(20, sent.Calls(q => q.StartsWith("INSERT INTO alerts", StringComparison.Ordinal) && !q.Contains("ON CONFLICT", StringComparison.Ordinal)));
        Assert.Equal(1, sent.Calls(q => q.StartsWith("INSERT INTO alerts", StringComparison.Ordinal) && q.Contains("ON CONFLICT", StringComparison.Ordinal)));
        Assert.True(sent.OutboxRows > 0);
        Assert.Equal(sent.OutboxRows, sent.Calls(q => q.StartsWith("INSERT INTO outbox", StringComparison.Ordinal)));
    }

    /// <summary>
    /// A storm's webhooks queued for their group's writer run as one batch, and the incident is read once for all of
    /// them, with the first: ten webhooks, one read (ten without the batch's read-ahead, tried), and nothing lost. Their
    /// alerts, all new to an incident this replica wrote, are not looked up at all (its filter: one lookup of all twenty
    /// before, with the incident's read). Nor are the incident's escalations read: each webhook's route asks whether
    /// network ran there, and the writer saw it committed when the first webhook started it; once a batch read them with
    /// its groups and no unit asked, the next batches leave them out (one read with the incident's before; ten before
    /// that). And the incident's tally is written once for the batch, with the last webhook's count (ten updates before), its
    /// alerts by one statement (ten before), and its timeline entries by one more (ten before).
    /// </summary>
    [Fact]
    public async Task AStormsQueuedWebhooks_AreReadOnceForTheirBatch()
    {
        var sent = await CountStatementsAsync(writers: 2, async (store, intake, countFromHere) =>
        {
            Task<Core.Intake.IngestReport> Ingest(Core.Intake.AlertBatch batch) => store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
            await Ingest(Batch("g1", Firing("a", T0))); // opens the incident: network starts (its escalations asked for)
            await Ingest(Batch("g1", Firing("a2", T0))); // joins: its escalations come with the incident's read, and are not asked for
            countFromHere();

            using var held = await HeldWriter.HoldAsync(store, intake.AffinityOf(Batch("g1", Firing("a", T0)))!);
            var storm = Enumerable.Range(0, 10).Select(i => Ingest(Batch("g1", Firing($"b{i}", T0), Firing($"c{i}", T0)))).ToList();
            await held.ReleaseAsync();
            Assert.All(await Task.WhenAll(storm), report => Assert.Equal(2, report.NewAlerts));
            Assert.Equal(22, (await store.GetIncidentAsync(1))!.AlertCount);
            Assert.Equal(22, (await store.GetAlertsAsync(1)).Count);
        });

        Assert.Equal(0, sent.Calls(q => q.Contains("FROM open_incident_alerts(", StringComparison.Ordinal))); // all new, to an incident this replica wrote
        Assert.Equal(0, sent.Calls(q => q.Contains("FROM escalations WHERE", StringComparison.Ordinal))); // network ran there, seen committed
        Assert.Equal(1, sent.Calls(q => q.StartsWith("UPDATE incidents", StringComparison.Ordinal))); // the tally, once for the batch
        Assert.Equal(1, sent.Calls(q => q.StartsWith("INSERT INTO alerts", StringComparison.Ordinal))); // its 20 new alerts, one statement
        Assert.Equal(1, sent.Calls(q => q.StartsWith("INSERT INTO timeline", StringComparison.Ordinal))); // and its ten "joined" entries
    }

    /// <summary>
    /// A replica that did not start a policy learns that it ran from the escalations it reads, once committed: another
    /// replica's webhooks joining the incident ask the database once, then the escalations come with the next group read
    /// (the writer's last batch asked) and no more (that batch did not ask): two reads for five joining webhooks (five
    /// when a run is learned only from the replica's own start, tried).
    /// </summary>
    [Fact]
    public async Task AReplicaLearnsThatAPolicyRan_FromTheEscalationsItRead_AndAsksNoMore()
    {
        var sent = await CountStatementsAsync(writers: 1, async (store, openAnother, intake, countFromHere) =>
        {
            await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a0", T0)))); // opens the incident: network starts, here
            await using var other = openAnother();
            countFromHere();
            for (var i = 1; i <= 5; i++)
            {
                var batch = Batch("g1", Firing($"a{i}", T0));
                Assert.Equal(1, (await other.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!)).NewAlerts);
            }

            Assert.Equal([("network", 1)], (await other.WriteAsync(s => s.GetEscalations(1))).Select(e => (e.Policy, e.Run))); // not started again
        });

        Assert.Equal(3, sent.Calls(q => q.Contains("FROM escalations WHERE", StringComparison.Ordinal))); // the two, and the check above
    }

    /// <summary>
    /// Round trips, counted as Npgsql's command activities to the test's own server. A unit that reads after it wrote
    /// sends the writes waiting with the read, in one round trip, not two: its read of the incident, the escalations'
    /// read with the timeline entry before it, the last entry with COMMIT (four when the writes went alone first,
    /// tried). And a webhook routed to a policy that joins the incident asks for its escalations, which come with the
    /// incident's read once the writer has been asked for escalations: the read, then the writes with COMMIT (three
    /// when the escalations are a read of their own, tried).
    /// </summary>
    [Fact]
    public async Task AReadAfterWrites_SendsThemWithIt_AndAJoiningWebhookIsTwoRoundTrips()
    {
        var server = PostgresServer.Start(durable: false);
        try
        {
            var port = new NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
            var options = new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = 1 };
            await using var store = PostgresIncidentStore.Open(options, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0), NullLogger.Instance);
            var intake = Routing.Intake();
            await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a1", T0))));

            using var roundTrips = new RoundTrips(port);
            var escalations = await store.WriteAsync(s =>
            {
                var incident = s.GetIncident(1)!;
                s.AppendTimeline(incident.Number, new TimelineEntry(T0, TimelineKind.Note, Core.Incidents.Actor.Bot, "before the read"));
                var read = s.GetEscalations(incident.Number);
                s.AppendTimeline(incident.Number, new TimelineEntry(T0, TimelineKind.Note, Core.Incidents.Actor.Bot, "after the read"));
                return read;
            });

            Assert.Equal("network", Assert.Single(escalations).Policy);
            Assert.Equal(3, roundTrips.Count);
            Assert.Equal(2, (await store.GetTimelineAsync(1)).Count(e => e.Kind == TimelineKind.Note));

            roundTrips.Reset();
            var joined = await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a2", T0), Firing("b1", T0, name: "Breach"))));
            Assert.Equal(2, joined.NewAlerts);
            Assert.Equal(2, roundTrips.Count);
            var policies = await store.WriteAsync(s => s.GetEscalations(1));
            Assert.Equal([("network", 1), ("security", 1)], policies.Select(e => (e.Policy, e.Run)).Order()); // security's alert started it
        }
        finally
        {
            server.Crash();
        }
    }

    /// <summary>
    /// A replica's filter of its open incidents' fingerprints (<c>HeldFingerprints</c>): a webhook's new alerts of an
    /// incident it opened are not looked up, a known one is (and found: a repeat, not counted again). A unit that relied
    /// on the filter and failed drops it, and so does a restart: the alerts are looked up again, each one known found,
    /// and that read rebuilds the filter from the incident's stored fingerprints, so the next webhook's new alert is
    /// skipped again (without the rebuild, looked up until the incident closes: tried).
    /// </summary>
    [Fact]
    public async Task NewAlertsOfAnIncidentThisReplicaWrote_AreNotLookedUp_AFailedUnitOrARestartRebuildsTheFilter()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await t.IngestAsync(Batch("g1", Firing("a0", T0)));

        var skipped = t.Sql.HeldFingerprints!.Skipped;
        var report = await t.IngestAsync(Batch("g1", Firing("a0", T0), Firing("a1", T0), Firing("a2", T0)));
        Assert.Equal((2, 1), (report.NewAlerts, report.UnchangedAlerts));
        Assert.Equal(2, t.Sql.HeldFingerprints!.Skipped - skipped);

        // A unit that took x1 for new on the filter's word, then failed: the filter is dropped.
        var failed = t.Store.WriteAsync<int>(s =>
        {
            t.Intake.Ingest(s, Batch("g1", Firing("x1", T0)));
            throw new InvalidOperationException("boom");
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        skipped = t.Sql.HeldFingerprints!.Skipped;
        report = await t.IngestAsync(Batch("g1", Firing("a2", T0), Firing("a3", T0)));
        Assert.Equal((1, 1), (report.NewAlerts, report.UnchangedAlerts));
        Assert.Equal(skipped, t.Sql.HeldFingerprints!.Skipped);

        await t.ReopenAsync();
        report = await t.IngestAsync(Batch("g1", Firing("a1", T0), Firing("a4", T0)));
        Assert.Equal((1, 1), (report.NewAlerts, report.UnchangedAlerts));
        Assert.Equal(0, t.Sql.HeldFingerprints!.Skipped);

        // That read rebuilt the filter from the incident's stored fingerprints (with its lock held): from then on a new
        // alert is skipped again, and a known one found.
        report = await t.IngestAsync(Batch("g1", Firing("a5", T0), Firing("a0", T0)));
        Assert.Equal((1, 1), (report.NewAlerts, report.UnchangedAlerts));
        Assert.Equal(1, t.Sql.HeldFingerprints!.Skipped);
        Assert.Equal(6, (await t.Store.GetIncidentAsync(1))!.AlertCount);
        Assert.Equal(["a0", "a1", "a2", "a3", "a4", "a5"], (await t.Store.GetAlertsAsync(1)).Select(a => a.Alert.Fingerprint).Order());
    }

    /// <summary>
    /// A replica's filter of the fingerprints of incidents it wrote stands only while the incident's alert count is the
    /// one it committed: a webhook of new alerts to an incident this replica opened looks none up (two round trips: the
    /// incident's read, the writes with COMMIT). Once another replica added one, the count the read finds has moved, so
    /// the alerts skipped are read after all, in one more round trip, and the one the other replica stored is known: not
    /// counted again, nothing rolled back (without the count's check, its insert failed on the key and the unit ran
    /// again: four round trips, tried). The filter is dropped then, and not rebuilt while another replica writes the
    /// group (for ten minutes): the replica looks the group's alerts up.
    /// </summary>
    [Fact]
    public async Task AFilterOfNewAlerts_StandsUntilAnotherReplicaAddsOne_ThenTheAlertsAreLookedUp()
    {
        var server = PostgresServer.Start(durable: false);
        try
        {
            var options = new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = 1 };
            var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
            await using var store = PostgresIncidentStore.Open(options, time, NullLogger.Instance);
            await using var other = PostgresIncidentStore.Open(options, time, NullLogger.Instance);
            var intake = Routing.Intake();
            await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a0", T0))));

            using var roundTrips = new RoundTrips(new NpgsqlConnectionStringBuilder(server.ConnectionString).Port);
            var fresh = await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a1", T0), Firing("a2", T0))));
            Assert.Equal(2, fresh.NewAlerts);
            Assert.Equal(2, store.HeldFingerprints!.Skipped);
            Assert.Equal(2, roundTrips.Count);

            await other.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("b1", T0))));
            roundTrips.Reset();
            var again = await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("b1", T0), Firing("c1", T0))));
            Assert.Equal((1, 1), (again.NewAlerts, again.UnchangedAlerts));
            Assert.Equal(3, roundTrips.Count);
            Assert.Equal(4, store.HeldFingerprints!.Skipped); // b1 and c1 skipped by the first read, then read after all

            var later = await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("d1", T0))));
            Assert.Equal(1, later.NewAlerts);
            Assert.Equal(4, store.HeldFingerprints!.Skipped);
            Assert.Equal(6, (await store.GetIncidentAsync(1))!.AlertCount);
            Assert.Equal(["a0", "a1", "a2", "b1", "c1", "d1"], (await store.GetAlertsAsync(1)).Select(a => a.Alert.Fingerprint).Order());
        }
        finally
        {
            server.Crash();
        }
    }

    /// <summary>
    /// A writer's batch across groups (a replica's groups are spread over its writers, so each writer's queue holds
    /// several) reads every group's incident, the alerts its units look up and its escalations in one round trip before
    /// its first unit, and sends all the units' writes with COMMIT: two round trips for five webhooks of five groups
    /// (six when each group's first unit reads it, tried), and every alert stored on its own group's incident. Also with one
    /// writer a replica (ten round trips when its webhooks did not queue by group, each then a transaction, tried).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task AWritersBatchAcrossGroups_IsTwoRoundTrips(int writers)
    {
        var server = PostgresServer.Start(durable: false);
        try
        {
            var options = new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = writers };
            await using var store = PostgresIncidentStore.Open(options, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0), NullLogger.Instance);
            var intake = Routing.Intake();
            Core.Ports.Affinity AffinityOf(string group) => intake.AffinityOf(Batch(group, Firing("a0", T0)))!;
            Task<Core.Intake.IngestReport> Ingest(string group, params string[] alerts)
            {
                var batch = Batch(group, [.. alerts.Select(a => Firing(a, T0))]);
                return store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
            }

            // Five groups of one writer (a group's writer is its key's hash, this process's, over the writers).
            var groups = Enumerable.Range(0, 200).Select(i => $"g{i}")
                .Where(g => (uint)StringComparer.Ordinal.GetHashCode(AffinityOf(g).Group) % (uint)writers == 0).Take(5).ToList();
            foreach (var group in groups)
            {
                await Ingest(group, "a0"); // opens its incident; network starts
                await Ingest(group, "a1"); // joins it, and asks whether network ran there: the writer reads escalations from now on
            }

            using var held = await HeldWriter.HoldAsync(store, AffinityOf(groups[0]));
            using var roundTrips = new RoundTrips(new NpgsqlConnectionStringBuilder(server.ConnectionString).Port);
            var storm = groups.Select(group => Ingest(group, "b1", "b2")).ToList();
            await held.ReleaseAsync();

            Assert.All(await Task.WhenAll(storm), report => Assert.Equal(2, report.NewAlerts));
            Assert.Equal(2, roundTrips.Count);

            // Again with an alert each group holds: the one read finds it on its own group's incident (else the unit
            // takes it for new, its insert fails at the commit, and the batch runs again: more round trips).
            using (var again = await HeldWriter.HoldAsync(store, AffinityOf(groups[0])))
            {
                roundTrips.Reset();
                var repeated = groups.Select(group => Ingest(group, "b1", "c1")).ToList();
                await again.ReleaseAsync();
                Assert.All(await Task.WhenAll(repeated), report => Assert.Equal(1, report.NewAlerts));
                Assert.Equal(2, roundTrips.Count);
            }

            foreach (var (group, number) in groups.Select((g, i) => (g, i + 1L)))
            {
                var incident = (await store.GetIncidentAsync(number))!;
                Assert.Equal(AffinityOf(group).Group, incident.GroupKey);
                Assert.Equal(5, incident.AlertCount);
                Assert.Equal(["a0", "a1", "b1", "b2", "c1"], (await store.GetAlertsAsync(number)).Select(a => a.Alert.Fingerprint).Order());
            }
        }
        finally
        {
            server.Crash();
        }
    }

    /// <summary>
    /// A writer's batch across groups it knows as its last commit left them sends no read of them: its first write checks
    /// their versions (and takes their locks), in the one round trip of its writes and COMMIT (KnownGroups). The batch
    /// before it, whose groups the writer did not know, read them.
    /// </summary>
    [Fact]
    public async Task AWritersBatchAcrossGroupsItKnows_ChecksTheirIncidentsInsteadOfReadingThem()
    {
        var groups = Enumerable.Range(0, 5).Select(i => $"g{i}").ToList();
        var sent = await CountStatementsAsync(writers: 1, async (store, intake, countFromHere) =>
        {
            async Task<int[]> BatchAsync(string alert)
            {
                using var held = await HeldWriter.HoldAsync(store, intake.AffinityOf(Batch("held", Firing("x", T0)))!);
                var reports = groups.Select(group =>
                {
                    var batch = Batch(group, Firing(alert, T0));
                    return store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
                }).ToList();
                await held.ReleaseAsync();
                return [.. (await Task.WhenAll(reports)).Select(r => r.NewAlerts)];
            }

            int[] one = [1, 1, 1, 1, 1];
            Assert.Equal(one, await BatchAsync("a0")); // opens the incidents
            Assert.Equal(one, await BatchAsync("a1")); // read: opened by the batch before, not read by it
            countFromHere();
            Assert.Equal(one, await BatchAsync("a2")); // known
            Assert.Equal(one, await BatchAsync("a3"));
            for (var number = 1; number <= groups.Count; number++)
            {
                var incident = (await store.GetIncidentAsync(number))!;
                Assert.Equal((4, 4), (incident.AlertCount, incident.FiringCount));
            }
        });

        Assert.Equal(0, sent.Calls(q => q.StartsWith("SELECT number, title", StringComparison.Ordinal) && q.Contains("FROM incidents WHERE open_group_key", StringComparison.Ordinal)));
        Assert.Equal(2, sent.Calls(q => q.Contains("check_incident_versions", StringComparison.Ordinal)));
        Assert.Equal(2, sent.Calls(q => q.StartsWith("INSERT INTO alerts", StringComparison.Ordinal)));
    }

    /// <summary>
    /// An incident another replica changed after this writer's last commit fails the check of its next batch that knew it:
    /// nothing of that batch is kept, and it runs again on what the other replica wrote. Here the other resolved the first
    /// incident, so the batch's alert of that group opens a new incident instead of joining a resolved one; the other
    /// group's joins its incident, once.
    /// </summary>
    [Fact]
    public async Task AnIncidentAnotherReplicaChanged_FailsTheCheck_AndTheBatchRunsAgainOnWhatThatReplicaWrote()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => o.Writers = 1);
        await using var other = t.OpenReplica();
        async Task<Core.Intake.IngestReport[]> BatchAsync(string alert)
        {
            using var held = await HeldWriter.HoldAsync(t.Store, t.Intake.AffinityOf(Batch("held", Firing("x", T0)))!);
            var reports = new[] { t.IngestAsync(Batch("g1", Firing(alert, T0))), t.IngestAsync(Batch("g2", Firing(alert, T0))) };
            await held.ReleaseAsync();
            return await Task.WhenAll(reports);
        }

        await BatchAsync("a0"); // opens INC-1 and INC-2
        await BatchAsync("a1"); // reads them: this writer now knows both
        await other.WriteAsync(s =>
        {
            var incident = s.GetIncident(1)!;
            s.AppendTimeline(1, incident.Resolve(new Actor("U1", "alice"), s.Now));
            s.UpdateIncident(incident);
            return 0;
        });

        var reports = await BatchAsync("a2");

        Assert.Equal(["INC-3"], reports[0].Opened);
        Assert.Empty(reports[1].Opened);
        Assert.Equal((IncidentStatus.Resolved, 2), ((await t.Store.GetIncidentAsync(1))!.Status, (await t.Store.GetIncidentAsync(1))!.AlertCount));
        Assert.Equal(3, (await t.Store.GetIncidentAsync(2))!.AlertCount);
        Assert.Equal(["a2"], (await t.Store.GetAlertsAsync(3)).Select(a => a.Alert.Fingerprint));
        Assert.Equal(3, (await t.Store.GetAlertsAsync(2)).Count);
    }

    /// <summary>
    /// A replica of the version before lanes, still running through a rolling upgrade, claims with the function of three
    /// arguments: it stays, and claims what is due of every lane.
    /// </summary>
    [Fact]
    public async Task TheClaimOfTheVersionBeforeLanes_StillClaims_ForReplicasNotYetUpgraded() =>
        Assert.Equal(["INC-1:db:1:0:0:page:U1", "email", "message", "sms", "step", "webhook"], await ClaimAsOfOldAsync("10"));

    /// <summary>
    /// A replica of the version before the chat's pages had a lane of their own claims with the function of four
    /// arguments: it stays, and claims the first two lanes' jobs, never a page the chat delivers (the upgraded replicas
    /// run those in their own lane).
    /// </summary>
    [Fact]
    public async Task TheClaimOfTheVersionBeforeTheChatsPagesLane_StillClaimsTheFirstTwoLanes_ForReplicasNotYetUpgraded() =>
        Assert.Equal(["message", "sms"], await ClaimAsOfOldAsync("10, 10"));

    /// <summary>Likewise the claim of the version before the timers' lane (five arguments): the first three lanes.</summary>
    [Fact]
    public async Task TheClaimOfTheVersionBeforeTheTimersLane_StillClaimsTheFirstThreeLanes_ForReplicasNotYetUpgraded() =>
        Assert.Equal(["INC-1:db:1:0:0:page:U1", "message", "sms"], await ClaimAsOfOldAsync("10, 10, 10"));

    /// <summary>Likewise the claim of the version before the providers' lanes (six arguments): the first four lanes, never an e-mail nor a webhook.</summary>
    [Fact]
    public async Task TheClaimOfTheVersionBeforeTheProvidersLanes_StillClaimsTheFirstFourLanes_ForReplicasNotYetUpgraded() =>
        Assert.Equal(["INC-1:db:1:0:0:page:U1", "message", "sms", "step"], await ClaimAsOfOldAsync("10, 10, 10, 10"));

    /// <summary>What a claim with the given counts (after the time and the lease) of an older version's function takes of a message, an SMS, a DM, a step, an e-mail and a webhook, due.</summary>
    private static async Task<List<string>> ClaimAsOfOldAsync(string counts)
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("message", s.Now, "M"));
            s.Enqueue(TestJob.Row("sms", s.Now, "S", JobLane.Phone));
            s.Enqueue(EffectJob.Of(new Bot.Core.Escalation.PageJob(1, "U1", "Paged", "INC-1:db:1:0:0"), s.Now));
            s.Enqueue(new EffectJob("step", Bot.Core.Escalation.EscalationStepJob.Kind, "INC-1:step", "{}", s.Now) { Lane = JobLane.Timers });
            s.Enqueue(TestJob.Row("email", s.Now, "E", JobLane.Email));
            s.Enqueue(TestJob.Row("webhook", s.Now, "W", JobLane.Webhooks));
        });
        var keys = await t.ColumnAsync($"SELECT key FROM claim_due_jobs(now() + interval '1 day', now() + interval '1 day 1 minute', {counts})", r => r.GetString(0));
        return [.. keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Every write of an incident's row (its tally, an acknowledgment) and of its escalations raises its version, so a
    /// writer that knew the incident or its escalations checks in vain and reads them again: the schema's triggers raise
    /// it, so writes that do not name it (a replica of the version before, during a rolling upgrade; a person's SQL) do too.
    /// </summary>
    [Fact]
    public async Task EveryWriteOfAnIncidentOrOfItsEscalations_RaisesItsVersion()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await t.IngestAsync(Batch("g1", Firing("a0", T0)));
        await using var connection = await t.OpenConnectionAsync();
        async Task<long> VersionAsync()
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT version FROM incidents WHERE number = 1";
            return (long)(await command.ExecuteScalarAsync())!;
        }

        var versions = new List<long> { await VersionAsync() };
        await t.IngestAsync(Batch("g1", Firing("a1", T0))); // the tally
        versions.Add(await VersionAsync());
        await t.Store.WriteAsync(s => { s.SaveEscalation(new Core.Escalation.EscalationState(1, "db", 1, Core.Escalation.EscalationState.Active, 0, 0, [], s.Now)); return 0; });
        versions.Add(await VersionAsync());
        await t.Store.WriteAsync(s =>
        {
            var incident = s.GetIncident(1)!;
            s.AppendTimeline(1, incident.Acknowledge(new Actor("U1", "alice"), s.Now));
            s.UpdateIncident(incident);
            return 0;
        });
        versions.Add(await VersionAsync());
        await using (var older = connection.CreateCommand())
        {
            older.CommandText = "UPDATE incidents SET title = 'Renamed' WHERE number = 1; UPDATE escalations SET step = 1 WHERE incident_number = 1";
            await older.ExecuteNonQueryAsync();
        }

        versions.Add(await VersionAsync());

        Assert.Equal(versions.Order().Distinct(), versions); // each higher than the one before
        Assert.Equal(versions[0] + 5, versions[^1]); // one a write: the tally, the escalation, the acknowledgment, the two above
    }

    /// <summary>
    /// What PostgreSQL receives from a writer's batch across groups, counted by <c>pg_stat_statements</c>: the groups'
    /// incidents read (and locked) by one statement, their escalations by one (once a unit of the writer's last batch
    /// asked for escalations: here each webhook asks whether security ran on its incident, which never ran there), their
    /// tallies written by one, whatever the number of groups (five each, one a group, before; tried), and each
    /// incident's tally is its own.
    /// </summary>
    [Fact]
    public async Task AWritersBatchAcrossGroups_ReadsTheirIncidentsAndWritesTheirTalliesWithOneStatementEach()
    {
        var groups = Enumerable.Range(0, 5).Select(i => $"g{i}").ToList();
        var sent = await CountStatementsAsync(writers: 1, async (store, intake, countFromHere) =>
        {
            Task<Core.Intake.IngestReport> Ingest(string group, params string[] alerts)
            {
                var batch = Batch(group, [.. alerts.Select(a => Firing(a, T0))]);
                return store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
            }

            foreach (var group in groups)
            {
                await Ingest(group, "a0"); // opens its incident; network starts
                await Ingest(group, "a1"); // joins it: network ran there, as the writer saw committed (no read)
            }

            await store.WriteAsync(s => s.GetEscalations(1)); // a unit that asks (an acknowledgment's): the next batch reads escalations with its groups
            countFromHere();
            using var held = await HeldWriter.HoldAsync(store, intake.AffinityOf(Batch(groups[0], Firing("a0", T0)))!);
            var storm = groups.Select((group, i) =>
            {
                var batch = Batch(group, [.. Enumerable.Range(0, i + 1).Select(a => Firing($"b{a}", T0, name: "Breach"))]);
                return store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
            }).ToList();
            await held.ReleaseAsync();
            Assert.Equal([1, 2, 3, 4, 5], (await Task.WhenAll(storm)).Select(report => report.NewAlerts));
            for (var number = 1; number <= groups.Count; number++)
            {
                var incident = (await store.GetIncidentAsync(number))!;
                Assert.Equal(2 + number, incident.AlertCount);
                Assert.Equal(2 + number, incident.FiringCount);
                Assert.Single(await store.GetTimelineAsync(number), e => e.Text.StartsWith("Escalation policy security started", StringComparison.Ordinal));
            }
        });

        Assert.Equal(1, sent.Calls(q => q.StartsWith("SELECT number, title", StringComparison.Ordinal) && q.Contains("FROM incidents WHERE open_group_key", StringComparison.Ordinal)));
        Assert.Equal(1, sent.Calls(q => q.Contains("FROM escalations WHERE", StringComparison.Ordinal)));
        Assert.Equal(1, sent.Calls(q => q.StartsWith("UPDATE incidents", StringComparison.Ordinal)));
        Assert.Equal(1, sent.Calls(q => q.StartsWith("INSERT INTO alerts", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The alerts table has no foreign key to incidents (schema 22): the writer's alert statement takes each alert's
    /// incident number from the incident's row. An alert of an incident that does not exist is still refused, inserted or
    /// upserted, alone in its statement or among good ones, and nothing of its unit is kept; an incident that still has
    /// alerts cannot be deleted.
    /// </summary>
    [Fact]
    public Task AnAlertOfAnIncidentThatDoesNotExist_IsRefused_AsByAForeignKey() => OnIncidentAsync(async (store, connection) =>
    {
        foreach (var isNew in new[] { true, false })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => store.WriteAsync(s =>
            {
                s.UpsertAlert(1, "g1", Firing("good", T0), isNew);
                s.UpsertAlert(2, "g1", Firing("of-no-incident", T0), isNew);
                return 0;
            }));
            Assert.Equal(PostgresErrorCodes.NotNullViolation, refused.SqlState);
        }

        Assert.Equal(["a1"], (await store.GetAlertsAsync(1)).Select(a => a.Alert.Fingerprint));
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM alerts", connection))
        {
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }

        // The timeline's entries would refuse the delete too: without them, the alerts alone refuse it.
        await using var delete = new NpgsqlCommand("BEGIN; DELETE FROM timeline WHERE incident_number = 1; DELETE FROM incidents WHERE number = 1; COMMIT", connection);
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, (await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync())).SqlState);
    });

    /// <summary>
    /// A batch's alerts and timeline entries read their incidents' rows once a statement, not once a row: with a hundred
    /// incidents in the table (a young install), the planner made each row's lookup a scan of the whole table and kept
    /// that plan for the connection. 55 alerts of 11 incidents, and 11 entries, each touch the incidents table in one
    /// scan or probe of its key.
    /// </summary>
    [Fact]
    public Task ABatchsAlertsAndEntries_ReadTheirIncidentsOnce_NotOnceARow() => OnIncidentAsync(async (_, connection) =>
    {
        await using (var fill = new NpgsqlCommand(
            "INSERT INTO incidents (title, severity, status, source, group_key, open_group_key, created_at, updated_at) " +
            "SELECT 'Load ' || g, 2, 'open', 'alertmanager', 'load' || g, 'load' || g, now(), now() FROM generate_series(1, 99) g; ANALYZE incidents",
            connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        var numbers = Enumerable.Range(0, 55).Select(i => (long)(i % 11 * 9 + 1)).ToArray();
        string[] Texts(string prefix, int count) => [.. Enumerable.Range(0, count).Select(i => prefix + i)];
        var now = PostgresDialect.Instance.Time(T0);
        var alerts = Explain(
            SqlSession.InsertAlerts + PostgresDialect.Instance.AlertArrays,
            ("n", numbers), ("f", Texts("fp", 55)), ("g", Texts("g", 55)), ("s", Texts("firing", 55)), ("l", Texts("{}", 55)), ("a", Texts("{}", 55)),
            ("b", PostgresDialect.Instance.TimeList([.. numbers.Select(_ => (DateTimeOffset?)T0)])),
            ("e", PostgresDialect.Instance.TimeList([.. numbers.Select(_ => (DateTimeOffset?)null)])),
            ("u", Texts("u", 55)), ("now", now));
        Assert.Equal((55, 1), await alerts);

        var entries = numbers[..11]; // 11 incidents
        var timeline = Explain(
            SqlSession.InsertTimeline + PostgresDialect.Instance.TimelineArrays,
            ("n", entries), ("at", PostgresDialect.Instance.TimeList([.. entries.Select(_ => (DateTimeOffset?)T0)])), ("kind", Texts("note", 11)),
            ("aid", Texts("U", 11)), ("aname", Texts("someone", 11)), ("text", Texts("text", 11)), ("now", now));
        Assert.Equal((11, 1), await timeline);

        // The rows the statement wrote (rolled back after) and how many times it read the incidents table.
        async Task<(long Rows, long IncidentReads)> Explain(string sql, params (string Name, object Value)[] parameters)
        {
            await using var tx = await connection.BeginTransactionAsync();
            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, connection, tx);
            foreach (var (name, value) in parameters)
            {
                explain.Parameters.AddWithValue(name, value);
            }

            var plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
            await tx.RollbackAsync();
            // The insert's own node returns nothing; the rows it wrote are its outer child's (the CTE is a child too).
            var written = plan.GetProperty("Plans").EnumerateArray().Single(p => p.GetProperty("Parent Relationship").GetString() == "Outer");
            return (written.GetProperty("Actual Rows").GetInt64(), Reads(plan));
        }

        static long Reads(System.Text.Json.JsonElement node) =>
            (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "incidents" ? node.GetProperty("Actual Loops").GetInt64() : 0)
            + (node.TryGetProperty("Plans", out var children) ? children.EnumerateArray().Sum(Reads) : 0);
    });

    /// <summary>
    /// Nor has the timeline (schema 27): an entry of an incident that does not exist is refused, among a batch's entries
    /// or written once, and nothing of its unit is kept; an incident that still has entries (a declared one, no alerts)
    /// cannot be deleted.
    /// </summary>
    [Fact]
    public Task ATimelineEntryOfAnIncidentThatDoesNotExist_IsRefused_AsByAForeignKey() => OnIncidentAsync(async (store, connection) =>
    {
        static TimelineEntry Note(string text) => new(T0, TimelineKind.Note, Core.Incidents.Actor.Bot, text);
        foreach (var once in new[] { false, true })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => store.WriteAsync(s =>
            {
                s.AppendTimeline(1, Note("good"));
                if (once)
                {
                    s.AppendTimelineOnce(2, Note("of no incident"));
                }
                else
                {
                    s.AppendTimeline(2, Note("of no incident"));
                }

                return 0;
            }));
            Assert.Equal(PostgresErrorCodes.NotNullViolation, refused.SqlState);
        }

        Assert.DoesNotContain(await store.GetTimelineAsync(1), e => e.Kind == TimelineKind.Note);
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM timeline WHERE incident_number <> 1", connection))
        {
            Assert.Equal(0L, await count.ExecuteScalarAsync());
        }

        // The alerts would refuse the delete too: without them, the timeline's entries alone refuse it.
        await using var delete = new NpgsqlCommand("BEGIN; DELETE FROM alerts WHERE incident_number = 1; DELETE FROM incidents WHERE number = 1; COMMIT", connection);
        var refusedDelete = await Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refusedDelete.SqlState);
        Assert.Contains("timeline entries", refusedDelete.MessageText, StringComparison.Ordinal);
    });

    /// <summary>
    /// A storm's digest (every 5 s) reads the sources' first entries of its stretch and counts them: through the index
    /// by record time in its order, the stretch's first entries alone, at the end of a timeline of 100,000 entries,
    /// whatever the planner's estimates. Ordered by time, the read walked the incident's timeline by time from its start
    /// until it met the stretch (1,602 blocks here, tried; 47 ms at a million entries); as a plain statement ordered by
    /// record time, it read the whole stretch to sort it once the planner preferred another scan (as a storm's stale
    /// statistics made it: 36-59 ms a digest in its log; here the planner told so, 434 blocks, tried). The excerpt
    /// is the first recorded, in time order.
    /// </summary>
    [Fact]
    public Task ADigestsExcerptOfAStretch_ReadsTheStretch_NotTheTimelineBeforeIt() => OnIncidentAsync(async (store, connection) =>
    {
        var start = T0.AddHours(1);
        var (from, to) = (start.AddSeconds(15), start.AddSeconds(20)); // the last stretch: entries 75,008 (batch 1,172) to 100,000

        // 100,000 entries, 64 a batch (one record time each, 12.8 ms apart), each sent 3 ms before it was recorded.
        await FillAsync(1, 100_000);
        await AssertReadsFewBlocksAsync();

        // The planner's estimates as a storm's were (the stretch a few rows, the heap not in the index's order): it
        // would scan the stretch's entries through a bitmap and sort them.
        await using (var prefer = new NpgsqlCommand("SET enable_indexscan = off", connection))
        {
            await prefer.ExecuteNonQueryAsync();
        }

        await AssertReadsFewBlocksAsync();

        var excerpt = await store.GetSourceActivityAsync(1, from, to, 20);
        Assert.Equal(24_993, excerpt.Total);
        Assert.Equal(Enumerable.Range(75_008, 20).Select(g => $"Load firing on host-{g}"), excerpt.Entries.Select(e => e.Text));

        async Task FillAsync(int first, int last)
        {
            await using var fill = new NpgsqlCommand(
                "INSERT INTO timeline (incident_number, at, kind, author_id, author_name, text, recorded_at) " +
                "SELECT 1, @start + (g * interval '200 microseconds') - interval '3 ms', 'alert_firing', 'source:alertmanager', 'Alertmanager', " +
                "'Load firing on host-' || g, @start + ((g / 64) * 64 * interval '200 microseconds') FROM generate_series(@first, @last) g; " +
                "ANALYZE timeline",
                connection);
            fill.Parameters.AddWithValue("start", start);
            fill.Parameters.AddWithValue("first", first);
            fill.Parameters.AddWithValue("last", last);
            await fill.ExecuteNonQueryAsync();
        }

        async Task AssertReadsFewBlocksAsync()
        {
            var (blocks, plan) = (long.MaxValue, default(System.Text.Json.JsonElement));
            for (var i = 0; i < 3 && blocks >= 40; i++) // the fewest of three (a read that plans again counts the catalog's blocks)
            {
                await using var explain = new NpgsqlCommand($"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {PostgresDialect.Instance.SourceActivity}", connection);
                explain.Parameters.AddWithValue("n", 1L);
                explain.Parameters.AddWithValue("from", from);
                explain.Parameters.AddWithValue("to", to);
                explain.Parameters.AddWithValue("limit", 20);
                plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
                Assert.Equal(20, plan.GetProperty("Actual Rows").GetInt64());
                blocks = Math.Min(blocks, plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64());
            }

            Assert.True(blocks < 40, $"the excerpt touched {blocks} blocks: {plan}");
        }
    });

    /// <summary>
    /// Runs <paramref name="test"/> on a schema of its own holding one incident (1, of group g1 and its alert a1, as a
    /// webhook opened it), with a store and a connection of the test's own on it; the schema is dropped after.
    /// </summary>
    private static async Task OnIncidentAsync(Func<PostgresIncidentStore, NpgsqlConnection, Task> test)
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        try
        {
            await using var store = OpenStore(connectionString);
            var intake = new Core.Intake.AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())));
            await store.WriteAsync(s => intake.Ingest(s, Batch("g1", Firing("a1", T0)))); // incident 1
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await test(store, connection);
        }
        finally
        {
            PostgresServer.Shared.DropSchema(connectionString);
        }
    }

    /// <summary>A store on the schema of <paramref name="connectionString"/>, its clock at <see cref="T0"/>.</summary>
    private static PostgresIncidentStore OpenStore(string connectionString) =>
        PostgresIncidentStore.Open(
            new StorageOptions { Provider = "Postgres", ConnectionString = connectionString }, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0), NullLogger.Instance);

    /// <summary>
    /// Sends <paramref name="count"/> webhooks at once through an intake whose alerts route to policies, each to one of two
    /// replicas in turn, as their group's affinity says (so each replica's writers batch them).
    /// </summary>
    private static Task<Core.Intake.IngestReport[]> SendRoutedSplitAsync(
        Core.Store.IIncidentStore one, Core.Store.IIncidentStore another, int count, Func<int, Core.Intake.AlertBatch> webhook)
    {
        var intake = Routing.Intake();
        return Task.WhenAll(Enumerable.Range(0, count).Select(i =>
        {
            var store = i % 2 == 0 ? one : another;
            var batch = webhook(i);
            return Task.Run(() => store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!));
        }));
    }

    /// <summary>
    /// Npgsql's command activities to one server (its port): each a round trip (a command or a batch) of the writers'.
    /// The flush that makes their commits durable is left out: one more round trip, on a connection of its own, shared
    /// by every batch that committed before it (<see cref="Sql.CommitFlusher"/>).
    /// </summary>
    private sealed class RoundTrips : IDisposable
    {
        private readonly System.Diagnostics.ActivityListener _listener;
        private int _count;

        public RoundTrips(int port)
        {
            _listener = new System.Diagnostics.ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem("server.port") is { } p && Convert.ToInt32(p, System.Globalization.CultureInfo.InvariantCulture) == port
                        && !activity.TagObjects.Any(t => t.Value is string text && text.Contains("pg_logical_emit_message", StringComparison.Ordinal)))
                    {
                        Interlocked.Increment(ref _count);
                    }
                },
            };
            System.Diagnostics.ActivitySource.AddActivityListener(_listener);
        }

        public int Count => Volatile.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>
    /// The claim is planned once a connection, not at every call: inline, PostgreSQL costed its generic plan (the time and
    /// the limit unknown) above its custom plans and planned a quarter of the claims anew, 0.63 ms each, more than the
    /// claim's run (the escalation benchmark beside a flood). Forty claims of the sizes the worker asks, with due jobs
    /// and jobs waiting for later.
    /// </summary>
    [Fact]
    public async Task TheClaim_IsPlannedOnceAConnection_NotAtEveryCall()
    {
        var sent = await CountStatementsAsync(
            writers: 1,
            async (store, _, _, countFromHere) =>
            {
                await store.WriteAsync(s =>
                {
                    for (var i = 0; i < 200; i++)
                    {
                        s.Enqueue(TestJob.Row($"due-{i}", T0, $"INC-{i}"));
                        s.Enqueue(TestJob.Row($"later-{i}", T0.AddHours(1), $"step-{i}"));
                    }
                });
                countFromHere();
                for (var i = 0; i < 40; i++)
                {
                    Assert.Equal(1 + (i % 8), (await store.WriteAsync(s => s.ClaimDueJobs(1 + (i % 8), TimeSpan.FromMinutes(1)))).Count);
                }
            },
            inFunctions: true);

        static bool TheClaim(string query) => query.Contains("WITH expired AS", StringComparison.Ordinal);
        Assert.Equal(40, sent.Calls(TheClaim));
        Assert.InRange(sent.Plans(TheClaim), 1, 2);
    }

    /// <summary>What a store sent PostgreSQL: each statement's calls, and the rows its outbox holds at the end.</summary>
    private sealed record SentStatements(IReadOnlyList<(string Query, long Calls, long Plans)> Statements, long OutboxRows)
    {
        public long Calls(Func<string, bool> which) => Statements.Where(s => which(s.Query)).Sum(s => s.Calls);

        /// <summary>How often the server planned them.</summary>
        public long Plans(Func<string, bool> which) => Statements.Where(s => which(s.Query)).Sum(s => s.Plans);
    }

    /// <summary>
    /// Runs <paramref name="work"/> (with an intake whose alerts route to a policy, as a team's would) on a store with
    /// <paramref name="writers"/> writers, on a PostgreSQL server of the test's own that counts the statements it
    /// receives (<c>pg_stat_statements</c>; the work may start the count again with the action it is given), and
    /// returns what the store sent.
    /// </summary>
    private static Task<SentStatements> CountStatementsAsync(int writers, Func<PostgresIncidentStore, Core.Intake.AlertIntake, Action, Task> work) =>
        CountStatementsAsync(writers, (store, _, intake, countFromHere) => work(store, intake, countFromHere));

    /// <summary>The same, the work given a way to open another replica on the same schema (the work disposes of it).</summary>
    private static async Task<SentStatements> CountStatementsAsync(
        int writers, Func<PostgresIncidentStore, Func<PostgresIncidentStore>, Core.Intake.AlertIntake, Action, Task> work, bool inFunctions = false)
    {
        var server = PostgresServer.Start(durable: false, statements: true);
        try
        {
            server.Execute("CREATE EXTENSION pg_stat_statements");
            if (inFunctions)
            {
                // The statements the schema's functions run, too (the default counts only what the client sent).
                server.Execute("ALTER SYSTEM SET pg_stat_statements.track = 'all'");
                server.Execute("SELECT pg_reload_conf()");
            }

            var options = new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = writers };
            PostgresIncidentStore Open() => PostgresIncidentStore.Open(options, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0), NullLogger.Instance);
            await using (var store = Open())
            {
                await work(store, Open, Routing.Intake(), () => server.Execute("SELECT pg_stat_statements_reset()"));
            }

            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync();
            var statements = new List<(string Query, long Calls, long Plans)>();
            await using (var command = new NpgsqlCommand("SELECT query, calls, plans FROM pg_stat_statements WHERE query ~ '^(WITH|INSERT|UPDATE|SELECT|DELETE)' AND query !~ 'pg_|schema_migrations'", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    statements.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
                }
            }

            await using var rows = new NpgsqlCommand($"SELECT count(*) FROM {new NpgsqlConnectionStringBuilder(options.ConnectionString).SearchPath}.outbox", connection);
            return new SentStatements(statements, (long)(await rows.ExecuteScalarAsync())!);
        }
        finally
        {
            server.Crash(); // the server's own: stopped
        }
    }

    /// <summary>Claims the job with <paramref name="key"/> and marks it done.</summary>
    private static async Task CompleteAsync(Core.Store.IIncidentStore store, string key)
    {
        var job = Assert.Single(await store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))), j => j.Key == key);
        await store.WriteAsync(s => { s.CompleteJob(job); return 0; });
    }

    /// <summary>
    /// A storm's incident grown to 20,000 alerts after the writer's connection made its plan for the webhook's alert
    /// read, when the statistics said the incident held 10 (a new database, before autovacuum catches up) or that a
    /// thousand incidents held 5 alerts each (a database of many small incidents, the storm newer than the statistics):
    /// the read of five alerts still probes the primary key, never reading the incident's alerts. So does a batch's read
    /// across groups (schema 23's function, given each fingerprint's group).
    /// </summary>
    [Theory]
    [InlineData(1, 10, false)]
    [InlineData(1000, 5, false)]
    [InlineData(1, 10, true)]
    [InlineData(1000, 5, true)]
    public async Task TheWebhooksAlertRead_ProbesTheKey_WhatTheStatisticsSaidWhenItWasPlanned(int incidents, int alertsEach, bool acrossGroups)
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var connection = (NpgsqlConnection)await t.OpenConnectionAsync();
        await ExecAsync(
            $$"""
            ALTER TABLE alerts SET (autovacuum_enabled = off); -- the statistics are this test's ANALYZE, not autovacuum's
            INSERT INTO incidents (title, severity, status, source, group_key, open_group_key, created_at, updated_at)
            SELECT 'storm', 1, 'Open', 'alertmanager', 'g' || n, 'g' || n, now(), now() FROM generate_series(1, {{incidents}}) n;
            INSERT INTO alerts (incident_number, fingerprint, group_key, status, labels, annotations, starts_at, first_seen_at, updated_at)
            SELECT i, 'fp' || n, 'g' || i, 'firing', '{}', '{}', now(), now(), now() FROM generate_series(1, {{incidents}}) i, generate_series(1, {{alertsEach}}) n;
            ANALYZE alerts;
            """);

        string[] fingerprints = ["fp5", "fp9000", "fp19999", "fp20000", "new"];
        NpgsqlCommand Read(string prefix = "")
        {
            var read = new NpgsqlCommand($"{prefix}{(acrossGroups ? PostgresDialect.Instance.OpenIncidentsAlerts : PostgresDialect.Instance.OpenIncidentAlerts)}", connection);
            if (acrossGroups)
            {
                read.Parameters.AddWithValue("@gs", PostgresDialect.Instance.TextList([.. fingerprints.Select(_ => "g1")]));
            }
            else
            {
                read.Parameters.AddWithValue("@g", "g1");
            }

            read.Parameters.AddWithValue("@fps", PostgresDialect.Instance.TextList(fingerprints));
            return read;
        }

        await using (var first = Read())
        {
            await first.ExecuteNonQueryAsync(); // the connection's plan, made now
        }

        await ExecAsync(
            $$"""
            INSERT INTO alerts (incident_number, fingerprint, group_key, status, labels, annotations, starts_at, first_seen_at, updated_at)
            SELECT 1, 'fp' || n, 'g1', 'firing', '{}', '{}', now(), now(), now() FROM generate_series({{alertsEach + 1}}, 20000) n;
            """);

        // The fewest blocks of three reads: a read that plans again (other tests' schemas overflow the server's cache
        // invalidations, and a backend that missed them rebuilds its caches) counts the catalog's blocks too: 80-750
        // seen. A plan that reads the incident reads it every time (1,142 or 4,180 blocks, above).
        var (blocks, plan) = (long.MaxValue, default(System.Text.Json.JsonElement));
        for (var i = 0; i < 3 && blocks >= 60; i++)
        {
            await using var explain = Read("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ");
            plan = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
            Assert.Equal(4, plan.GetProperty("Actual Rows").GetInt64());
            blocks = Math.Min(blocks, plan.GetProperty("Shared Hit Blocks").GetInt64() + plan.GetProperty("Shared Read Blocks").GetInt64());
        }

        Assert.True(blocks < 60, $"the read touched {blocks} blocks for five alerts: {plan}");

        async Task ExecAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task ABurstOfOneGroupsAlerts_SplitBetweenTwoReplicas_MakesOneIncident_WithEveryAlert()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();

        // 200 webhooks of one group, each with a new alert, sent to both replicas at once.
        var sends = Enumerable.Range(0, 200).Select(i =>
        {
            var store = i % 2 == 0 ? t.Store : other;
            return Task.Run(() => store.WriteAsync(s => t.Intake.Ingest(s, Batch("storm", Firing($"a{i}", T0)))));
        }).ToList();
        var reports = await Task.WhenAll(sends);

        Assert.Equal(1, reports.Sum(r => r.Opened.Count));
        var incident = Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
        Assert.Equal(200, (await t.Store.GetAlertsAsync(incident.Number)).Count);
    }

    /// <summary>
    /// Webhooks of twenty groups sent to two replicas at once, each replica's writers batching several groups (read
    /// together, written together): one incident a group, every alert on it, and each incident's tally counting them all.
    /// </summary>
    [Fact]
    public async Task ABurstAcrossGroups_SplitBetweenTwoReplicas_MakesOneIncidentAGroup_WithEveryAlertCounted()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();

        var reports = await SendRoutedSplitAsync(t.Sql, other, 400, i =>
            Batch($"g{i % 20}", Firing($"a{i}", T0), Firing($"b{i}", T0, name: i % 7 == 0 ? "Breach" : "HighErrorRate")));

        Assert.Equal(20, reports.Sum(r => r.Opened.Count));
        var incidents = await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 100));
        Assert.Equal(20, incidents.Count);
        Assert.Equal(20, incidents.Select(i => i.GroupKey).Distinct().Count());
        foreach (var incident in incidents)
        {
            Assert.Equal(40, (await t.Store.GetIncidentAsync(incident.Number))!.AlertCount);
            Assert.Equal(40, (await t.Store.GetAlertsAsync(incident.Number)).Count);
            var escalations = await t.Store.WriteAsync(s => s.GetEscalations(incident.Number));
            Assert.All(escalations, e => Assert.Equal(1, e.Run)); // each policy started once
        }
    }

    /// <summary>
    /// A storm routed to two teams, split between two replicas whose writers batch it and keep the incident's escalations
    /// for a batch: each policy starts once (one run, one "started" entry, so one round of pages), whichever replica
    /// opened the incident or saw a team's first alert.
    /// </summary>
    [Fact]
    public async Task ARoutedStormSplitBetweenTwoReplicas_StartsEachPolicyOnce()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();

        var reports = await SendRoutedSplitAsync(t.Sql, other, 200, i => Batch("storm", Firing($"a{i}", T0, name: i % 25 == 7 ? "Breach" : "HighErrorRate")));

        Assert.Equal(1, reports.Sum(r => r.Opened.Count));
        var incident = Assert.Single(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
        Assert.Equal(200, (await t.Store.GetIncidentAsync(incident.Number))!.AlertCount);
        var escalations = await t.Store.WriteAsync(s => s.GetEscalations(incident.Number));
        Assert.Equal([("network", 1), ("security", 1)], escalations.Select(e => (e.Policy, e.Run)).Order());
        var started = (await t.Store.GetTimelineAsync(incident.Number)).Count(e => e.Text.StartsWith("Escalation policy", StringComparison.Ordinal));
        Assert.Equal(2, started);
    }

    /// <summary>
    /// A transaction keeps an incident's escalations only while it holds the incident's lock, which every writer of them
    /// takes first. A unit that reads them without it, then again after another replica started a policy there, must
    /// see the start (kept regardless of the lock, its second read missed it: tried).
    /// </summary>
    [Fact]
    public async Task EscalationsReadWithoutTheIncidentsLock_AreReadAgain()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();
        await t.IngestAsync(Batch("g1", Firing("a1", T0))); // incident 1, no paging: no escalation

        var counts = await t.Sql.WriteAsync(s =>
        {
            var before = s.GetEscalations(1).Count;
            other.WriteAsync(o =>
            {
                o.SaveEscalation(new Core.Escalation.EscalationState(1, "network", 1, Core.Escalation.EscalationState.Active, 0, 0, [], T0));
                return 0;
            }).GetAwaiter().GetResult();
            return (before, s.GetEscalations(1).Count);
        });

        Assert.Equal((0, 1), counts);
    }

    [Fact]
    public async Task ManyGroupsSentTwiceToBothReplicas_OneIncidentPerGroup()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();

        var sends = Enumerable.Range(0, 20).SelectMany(g => new[] { t.Store, other }.Select(store =>
            Task.Run(() => store.WriteAsync(s => t.Intake.Ingest(s, Batch($"g{g}", Firing("a1", T0), Firing("a2", T0)))))));
        await Task.WhenAll(sends);

        var incidents = await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 100));
        Assert.Equal(20, incidents.Count);
        foreach (var incident in incidents)
        {
            Assert.Equal(2, (await t.Store.GetAlertsAsync(incident.Number)).Count);
        }
    }

    [Fact]
    public async Task ChangesToOneIncidentFromBothReplicasAtOnce_AreAllKept()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));

        // Each unit reads the incident, adds one role, and writes it back: a lost update would drop roles.
        var units = Enumerable.Range(0, 60).Select(i =>
        {
            var store = i % 2 == 0 ? t.Store : other;
            return Task.Run(() => store.WriteAsync(s =>
            {
                var incident = s.GetIncident(1)!;
                s.AppendTimeline(1, incident.AssignRole($"role{i}", new Actor($"U{i}", $"user{i}"), Actor.Bot, s.Now));
                s.UpdateIncident(incident);
                return 0;
            }));
        });
        await Task.WhenAll(units);

        var roles = (await t.Store.GetIncidentAsync(1))!.Roles;
        Assert.Equal(60, roles.Count);
        Assert.Equal(60 + 2, (await t.Store.GetTimelineAsync(1)).Count);
    }

    [Fact]
    public async Task TwoDispatchersOnTwoReplicas_RunEveryJobOnce_InOrderPerIncident()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        await using var other = t.OpenReplica();
        const int Incidents = 20, PerIncident = 15;
        await t.Store.WriteAsync(s =>
        {
            for (var n = 0; n < PerIncident; n++)
            {
                for (var i = 0; i < Incidents; i++)
                {
                    s.Enqueue(TestJob.Row($"job-{i}-{n}", T0, $"INC-{i}"));
                }
            }

            return 0;
        });
        var handler = new RecordingHandler();

        var a = Dispatcher(t, t.Sql, handler);
        var b = Dispatcher(t, other, handler);
        await Task.WhenAll(DrainAsync(a), DrainAsync(b));

        Assert.Equal(Incidents * PerIncident, handler.Runs.Count);
        Assert.All(handler.Runs, run => Assert.Equal(1, run.Value));
        Assert.Empty(handler.Violations);
        Assert.All(handler.Order.Values, seen => Assert.Equal(Enumerable.Range(0, PerIncident), seen));
        Assert.True(handler.Replicas.Count == 2, "both replicas should have run jobs");
    }

    [Fact]
    public async Task AReplicaThatDiesHoldingJobs_HasThemTakenOverWhenTheLeaseEnds_AndRunOnce()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);
        var dying = t.OpenReplica();
        await t.Store.WriteAsync(s =>
        {
            for (var i = 0; i < 10; i++)
            {
                s.Enqueue(TestJob.Row($"job-{i}-0", T0, $"INC-{i}"));
            }
        });
        var lease = new OutboxOptions().JobTimeout * 2;

        // The dying replica claims every job, then stops before running any (a killed process).
        Assert.Equal(10, (await dying.WriteAsync(s => s.ClaimDueJobs(100, lease))).Count);
        await dying.DisposeAsync();

        var handler = new RecordingHandler();
        var survivor = Dispatcher(t, t.Sql, handler);
        Assert.Equal(0, await survivor.RunOnceAsync(CancellationToken.None)); // still leased

        t.Time.Advance(lease);
        await DrainAsync(survivor);

        Assert.Equal(10, handler.Runs.Count);
        Assert.All(handler.Runs, run => Assert.Equal(1, run.Value));
        Assert.Equal(0, await survivor.RunOnceAsync(CancellationToken.None));
    }

    private static OutboxDispatcher Dispatcher(TempStore t, SqlIncidentStore store, RecordingHandler handler) =>
        new(store, [handler.For(store)], t.Time, Options.Create(new OutboxOptions { BatchSize = 8, Concurrency = 4 }), NullLogger<OutboxDispatcher>.Instance);

    private static async Task DrainAsync(OutboxDispatcher dispatcher)
    {
        var idle = 0;
        while (idle < 3)
        {
            idle = await dispatcher.RunOnceAsync(CancellationToken.None) == 0 ? idle + 1 : 0;
            await Task.Delay(idle * 10);
        }
    }

    /// <summary>Counts each job's runs, which replica ran it, and any two jobs of one incident running at once.</summary>
    private sealed class RecordingHandler
    {
        public ConcurrentDictionary<string, int> Runs { get; } = new();

        public ConcurrentDictionary<string, List<int>> Order { get; } = new();

        public ConcurrentBag<string> Violations { get; } = [];

        public ConcurrentDictionary<object, bool> Replicas { get; } = new();

        private readonly ConcurrentDictionary<string, int> _running = new();

        public IJobRunner For(object replica) => TestJobHandler.Runner(async (job, row) =>
        {
            Replicas[replica] = true;
            if (_running.AddOrUpdate(row.OrderingKey, 1, (_, n) => n + 1) > 1)
            {
                Violations.Add($"{row.Key} ran beside another job of {row.OrderingKey}");
            }

            await Task.Delay(2);
            Runs.AddOrUpdate(row.Key, 1, (_, n) => n + 1);
            var seen = Order.GetOrAdd(row.OrderingKey, _ => []);
            lock (seen)
            {
                seen.Add(int.Parse(job.Name.Split('-')[^1])); // job-<incident>-<n>: the n-th of its incident
            }

            _running.AddOrUpdate(row.OrderingKey, 0, (_, n) => n - 1);
        });
    }
}
