using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.Storage.Postgres;
using Bot.Storage.Tests.Sql;
using Bot.TestKit;
using Bot.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Postgres;

/// <summary>
/// PostgreSQL's writers commit without waiting for the log's flush, and a thread of the store's own makes their commits
/// durable together before their callers are answered (<see cref="Sql.CommitFlusher"/>). The flush is held or failed here
/// (<see cref="StorageOptions.PostgresCommitFlush"/>), done for real, and the server killed under it.
/// </summary>
public sealed class PostgresCommitFlushTests
{
    private static readonly DateTimeOffset T0 = TestStore.Start;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A webhook is answered once the flush after its commit is done, not before; meanwhile the writer goes on: a webhook
    /// of the same group (the storm's case: the incident's row lock) commits while the first one's flush is held. Then
    /// the writer, one batch flushing and one committed, takes no more until the first is answered (taking it, this fails:
    /// tried).
    /// </summary>
    [Fact]
    public async Task AWebhooksCaller_IsAnsweredOnlyAfterTheFlushThatFollowsItsCommit_AndTheWriterGoesOnMeanwhile()
    {
        var flush = new HeldFlush();
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o =>
        {
            (o.PostgresCommitFlush, o.Writers) = (flush.Flush, 1);
            o.ConnectionString = AsServersAre(o.ConnectionString!);
        });
        Assert.Equal("off", await SettingAsync(((PostgresIncidentStore)t.Sql).OpenWriterConnectionForTests(), "synchronous_commit")); // the writers' own (SET, tried: "on")
        var signalled = 0;
        t.Sql.JobsEnqueued += () => Interlocked.Increment(ref signalled);

        var (first, sameGroup, otherGroup) = await WriterWaitingForAHeldFlushAsync(t, flush, thirdGroup: "web");
        Assert.NotNull(await t.Store.GetIncidentAsync(1)); // committed: another connection reads it
        Assert.False(first.IsCompleted, "the webhook was answered before the flush after its commit");
        Assert.Equal(0, Volatile.Read(ref signalled));
        Assert.Null(await t.Store.GetIncidentAsync(2)); // not taken: one batch flushing, one committed, no more
        Assert.False(sameGroup.IsCompleted || otherGroup.IsCompleted, "answered before a flush after their commits");

        flush.Release();
        Assert.Equal("INC-1", Assert.Single((await first.WaitAsync(Patience)).Opened));
        Assert.Empty((await sameGroup.WaitAsync(Patience)).Opened);
        Assert.Equal("INC-2", Assert.Single((await otherGroup.WaitAsync(Patience)).Opened));
        Assert.InRange(t.Sql.Flushes, 2, 3);
        Assert.True(Volatile.Read(ref signalled) >= 1);
    }

    /// <summary>
    /// A person's unit does not wait for the writer's batch before last to be flushed, as webhooks do (so that their
    /// batches fill): with a flush held and the writer waiting for it, a person's unit commits at once, and is answered
    /// after the next flush as every unit is. Without the writer's interrupt it waits for the held flush (tried).
    /// </summary>
    [Fact]
    public async Task APersonsUnit_CommitsWhileTheWriterWaitsForAFlush_AndIsAnsweredAfterTheNext()
    {
        var flush = new HeldFlush();
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => (o.PostgresCommitFlush, o.Writers) = (flush.Flush, 1));
        var (first, second, third) = await WriterWaitingForAHeldFlushAsync(t, flush, thirdGroup: "db");

        var person = t.Store.WriteInteractiveAsync(s =>
        {
            var incident = s.GetIncident(1) ?? throw new InvalidOperationException("no INC-1");
            incident.SetImpact("checkout down", new Actor("U1", "alice"), T0);
            s.UpdateIncident(incident);
            return 0;
        });
        await Eventually.HoldsAsync(
            async () => (await t.Store.GetIncidentAsync(1))!.Impact == "checkout down", "the person's unit committed while the flush was held");
        Assert.False(person.IsCompleted, "answered before a flush after its commit");
        Assert.Equal(2, (await t.Store.GetIncidentAsync(1))!.AlertCount); // the third webhook still waits

        flush.Release();
        await Task.WhenAll(first, second, third, person).WaitAsync(Patience);
        Assert.Equal(3, (await t.Store.GetIncidentAsync(1))!.AlertCount);
    }

    /// <summary>
    /// A flush that fails fails its callers as a failed commit would (whether the server kept their commits is its own to
    /// say), and what the writers knew from commits is forgotten: a server that died before flushing them lost them, and
    /// may give a lost incident's number to the next incident. The next flush is tried afresh: the server may be back.
    /// </summary>
    [Fact]
    public async Task AFlushThatFails_FailsItsCallers_ForgetsWhatTheWritersKnew_AndTheNextFlushIsTriedAgain()
    {
        var failing = 0;
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o => o.PostgresCommitFlush = flush =>
        {
            if (Volatile.Read(ref failing) == 1)
            {
                throw new NpgsqlException("Exception while reading from stream");
            }

            flush();
        });
        await t.IngestAsync(Batch("db", Firing("a1", T0)));
        t.Sql.PoliciesRun.Committed([(1, "database")]);
        Assert.Equal((1, 1), (t.Sql.HeldFingerprints!.Groups, t.Sql.PoliciesRun.Count));

        Volatile.Write(ref failing, 1);
        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => t.IngestAsync(Batch("db", Firing("a2", T0))));
        Assert.Contains("could not flush its commit to disk: Exception while reading from stream", error.Message);
        Assert.Equal((0, 0), (t.Sql.HeldFingerprints.Groups, t.Sql.PoliciesRun.Count)); // forgotten (kept, this fails: tried)

        Volatile.Write(ref failing, 0);
        var again = await t.IngestAsync(Batch("db", Firing("a2", T0), Firing("a3", T0)));
        Assert.Empty(again.Opened); // the server kept the commit here: the retry finds it
        Assert.Equal(3, (await t.Store.GetIncidentAsync(1))!.AlertCount);
    }

    /// <summary>
    /// The flush itself, on the server: a commit that did not wait for the log is past the log's flushed end, and the
    /// store's transaction (with <c>synchronous_commit</c> on, as servers have it) returns only once the log is flushed
    /// past it, even on a session that set it off (as a writer's SET may reach it through a pooler). A transaction that
    /// writes nothing but takes an id returns at once, and this fails (tried: with <c>SELECT txid_current()</c> the first
    /// round fell short, in 3 runs of 3), as it does with the session's setting taken (no <c>SET LOCAL ... TO DEFAULT</c>).
    /// </summary>
    [Fact]
    public async Task TheFlush_WaitsForTheLogToBeFlushedPastEveryCommitBeforeIt()
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        try
        {
            // A session's SET is not the server's setting: the flush takes the default, whatever a pooler's other clients set.
            await using var writer = new NpgsqlConnection(connectionString);
            await using var flusher = new NpgsqlConnection(AsServersAre(connectionString));
            await writer.OpenAsync();
            await flusher.OpenAsync();
            await Execute(writer, "SET synchronous_commit = off; CREATE TABLE written (n integer)");
            await Execute(flusher, "SET synchronous_commit = off"); // as a writer's SET reaching it through a pooler

            for (var round = 0; round < 20; round++)
            {
                await Execute(writer, $"INSERT INTO written SELECT generate_series(1, 100)"); // committed, its log not flushed
                var committed = await Lsn(writer, "pg_current_wal_insert_lsn()");
                await Execute(flusher, string.Join("; ", PostgresIncidentStore.DurabilityBarrier));
                var flushed = await Lsn(writer, "pg_current_wal_flush_lsn()");
                Assert.True(flushed >= committed, $"round {round}: the log flushed to {flushed}, short of the commit at {committed}");
            }
        }
        finally
        {
            PostgresServer.Shared.DropSchema(connectionString);
        }

        static async Task Execute(NpgsqlConnection connection, string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        static async Task<ulong> Lsn(NpgsqlConnection connection, string function)
        {
            await using var command = new NpgsqlCommand($"SELECT ({function} - '0/0')::bigint", connection);
            return Convert.ToUInt64(await command.ExecuteScalarAsync());
        }
    }

    /// <summary>
    /// The server killed (SIGKILL: its shared memory, and any log not yet written out, gone) while webhooks of many groups
    /// are under way: every webhook that was answered is there when it comes back. Answered after their commit alone,
    /// without the flush (<c>SELECT txid_current()</c> for it), the killed server lost answered webhooks (tried: 1-2 of
    /// ~600, the last answered, in 3 runs of 3).
    /// </summary>
    [Fact]
    public async Task EveryWebhookAnswered_SurvivesTheServerBeingKilled_WhileOthersAreUnderWay()
    {
        var server = PostgresServer.Start(durable: true);
        try
        {
            var connectionString = server.CreateSchema();
            var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())));
            var answered = new System.Collections.Concurrent.ConcurrentBag<string>();
            await using (var store = PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = connectionString, Writers = 2 }, TimeProvider.System, NullLogger.Instance))
            {
                using var stop = new CancellationTokenSource();
                var senders = Enumerable.Range(0, 16).Select(sender => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        var group = $"g{sender}-{i}";
                        try
                        {
                            var result = await store.WriteAsync(s => intake.Ingest(s, Batch(group, Firing("a1", T0))));
                            answered.Add(Assert.Single(result.Opened));
                        }
                        catch (StoreUnavailableException)
                        {
                            return; // the server is gone: not answered
                        }
                    }
                })).ToList();

                await Eventually.HoldsAsync(() => Task.FromResult(answered.Count >= 500), "webhooks answered before the kill");
                server.Crash();
                await stop.CancelAsync();
                await Task.WhenAll(senders).WaitAsync(Patience);
            }

            server.StartAgain();
            var kept = new HashSet<string>();
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT number FROM incidents", connection);
                await using var rows = await command.ExecuteReaderAsync();
                while (await rows.ReadAsync())
                {
                    kept.Add(Incident.FormatKey(rows.GetInt64(0)));
                }
            }

            var lost = answered.Where(incident => !kept.Contains(incident)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} of {answered.Count} webhooks answered were lost: {string.Join(", ", lost.Take(5))}");
        }
        finally
        {
            server.Crash();
        }
    }

    /// <summary>
    /// A server whose role may not write a message to the log (the function revoked): the store says so and commits as
    /// before, each waiting for its own flush; nothing is held back for a flush that would never come.
    /// </summary>
    [Fact]
    public async Task AServerThatRefusesTheFlushesWay_GetsCommitsThatFlushThemselves()
    {
        var server = PostgresServer.Start(durable: false);
        try
        {
            server.Execute("CREATE ROLE bot LOGIN");
            server.Execute("CREATE DATABASE refused OWNER bot");
            var admin = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "refused" };
            await using (var connection = new NpgsqlConnection(admin.ConnectionString))
            {
                await connection.OpenAsync();
                await using var revoke = new NpgsqlCommand(
                    "REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC; " +
                    "REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, bytea) FROM PUBLIC",
                    connection);
                await revoke.ExecuteNonQueryAsync();
            }

            var logs = new LogCapture();
            var bot = new NpgsqlConnectionStringBuilder(AsServersAre(server.ConnectionString)) { Database = "refused", Username = "bot" };
            await using var store = PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = bot.ConnectionString }, TimeProvider.System, logs.CreateLogger("store"));
            var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())));
            var result = await store.WriteAsync(s => intake.Ingest(s, Batch("db", Firing("a1", T0))));

            Assert.Equal("INC-1", Assert.Single(result.Opened));
            Assert.NotNull(await store.GetIncidentAsync(1)); // on the readers' pool, where the refused flush's connection went back (its transaction undone on close)
            Assert.Equal(0, store.Flushes);
            Assert.Equal("on", await SettingAsync(store.OpenWriterConnectionForTests(), "synchronous_commit")); // the writers wait for their own flush
            Assert.Equal("256kB", await SettingAsync(store.OpenWriterConnectionForTests(), "backend_flush_after")); // and still write back their pages
            Assert.Contains(logs.Entries, e => e.Message.Contains("pg_logical_emit_message is not allowed here", StringComparison.Ordinal)
                && e.Message.Contains("GRANT EXECUTE", StringComparison.Ordinal));
        }
        finally
        {
            server.Crash();
        }
    }

    /// <summary>
    /// One writer at its limit: the first webhook (group "db") committed and its flush held, the second (the same group)
    /// committed meanwhile, and the writer waiting for the first one's flush before it takes the third (sent once the
    /// second committed, so that the two do not make one batch).
    /// </summary>
    private static async Task<(Task<IngestReport> First, Task<IngestReport> Second, Task<IngestReport> Third)> WriterWaitingForAHeldFlushAsync(
        TempStore t, HeldFlush flush, string thirdGroup)
    {
        var first = t.IngestAsync(Batch("db", Firing("a1", T0)));
        await flush.StartedAsync();
        var second = t.IngestAsync(Batch("db", Firing("a2", T0)));
        await Eventually.HoldsAsync(
            async () => (await t.Store.GetIncidentAsync(1))!.AlertCount == 2, "the webhook after the first committed while its flush was held");
        var third = t.IngestAsync(Batch(thirdGroup, Firing("a3", T0)));
        await Eventually.HoldsAsync(() => Task.FromResult(t.Sql.WritersWaitingForAFlush == 1), "the writer waiting for the first batch's flush");
        return (first, second, third);
    }

    /// <summary>
    /// The connection string with <c>synchronous_commit</c> on as its default, as servers have it (the test servers' own is
    /// off: they need no crash safety).
    /// </summary>
    private static string AsServersAre(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c synchronous_commit=on" }.ConnectionString;

    /// <summary>A session's setting, as <c>SHOW</c> says it, on <paramref name="connection"/> (open or not; closed after).</summary>
    internal static async Task<string> SettingAsync(System.Data.Common.DbConnection connection, string setting)
    {
        await using (connection)
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync();
            }

            await using var show = connection.CreateCommand();
            show.CommandText = $"SHOW {setting}";
            return (string)(await show.ExecuteScalarAsync())!;
        }
    }
}
