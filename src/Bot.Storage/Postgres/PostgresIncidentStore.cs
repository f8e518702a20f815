using System.Data.Common;
using Bot.Core.Effects;
using Bot.Storage.Sql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bot.Storage.Postgres;

/// <summary>
/// The PostgreSQL store, for several replicas on one database. Each replica has <see cref="StorageOptions.EffectiveWriters"/>
/// writers, each on its own connection, committing one unit of work at a time by default. The database keeps them
/// apart: a unique open group key (one open incident per group), row locks on the incidents a unit changes (no lost
/// updates), <c>SKIP LOCKED</c> claims and leases on outbox jobs (one replica runs a job; a dead replica's jobs are
/// taken over when their lease ends).
/// <para>
/// The writers do not wait for their commits to reach the disk: a thread of the store's own makes them durable together
/// and only then answers their callers (<see cref="CommitFlusher"/>, <see cref="MakeCommitsDurable"/>), so a writer
/// never holds an incident's row lock through a flush of the log. A server that refuses the way it is done (a function
/// revoked) gets commits that wait for their own flush, as before.
/// </para>
/// </summary>
public sealed class PostgresIncidentStore : SqlIncidentStore
{
    /// <summary>
    /// A transactional message in the log (ignored by anything that does not decode it): the transaction then has a record
    /// of its own to commit, and with the server's <c>synchronous_commit</c> (<c>on</c> by default) its commit returns
    /// once the log is flushed up to it, and so past every commit before it, whoever made it; with synchronous standbys,
    /// once they have it too. A transaction that only took an id (<c>txid_current()</c>) writes nothing to flush for:
    /// its commit does not wait (PostgresCommitFlushTests). The setting is the server's own (<c>TO DEFAULT</c>: its
    /// configuration's, the role's, the database's), for this transaction, whatever a session set: behind a pooler that
    /// hands one server connection to each transaction, a writer's <c>SET</c> may have reached this one. One round trip
    /// (prepared on the flusher's connection), no table, no row lock between replicas.
    /// </summary>
    internal static readonly string[] DurabilityBarrier =
        ["BEGIN", "SET LOCAL synchronous_commit TO DEFAULT", "SELECT pg_logical_emit_message(true, 'incident-bot', '')", "COMMIT"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _writerSource; // the writers' connections: committing without waiting for the flush, where there is one
    private NpgsqlConnection? _barrierConnection; // the flusher thread's
    private NpgsqlBatch? _barrier; // on it, prepared
    private int _barrierLost; // 1: connections were lost since the flusher's was opened (see ConnectionsLost)

    private PostgresIncidentStore(NpgsqlDataSource dataSource, string connectionString, StorageOptions options, TimeProvider time, ILogger log)
        : base(options, time, log)
    {
        _dataSource = dataSource;
        bool durableAfter;
        bool flushAfterUnset;
        using (var connection = dataSource.OpenConnection())
        {
            PostgresSchema.Migrate(connection, time.GetUtcNow());
            flushAfterUnset = BackendFlushAfterIsUnset(connection);
            durableAfter = CanMakeCommitsDurable(connection, log); // last: where refused, its transaction is left aborted
        }

        var writers = new NpgsqlDataSourceBuilder(connectionString);
        var session = WriterSession(commitWithoutWaiting: durableAfter, writeBackAsWritten: flushAfterUnset);
        if (session is not null)
        {
            writers.UsePhysicalConnectionInitializer(
                c =>
                {
                    using var set = new NpgsqlCommand(session, c);
                    set.ExecuteNonQuery();
                },
                async c =>
                {
                    await using var set = new NpgsqlCommand(session, c);
                    await set.ExecuteNonQueryAsync();
                });
        }

        if (durableAfter)
        {
            Action flush = options.PostgresCommitFlush is { } around ? () => around(MakeCommitsDurable) : MakeCommitsDurable;
            Flusher = new CommitFlusher(
                "postgres-commit-flush", flush, Acknowledged, NotDurableOnLostServer, failureLasts: false, oneBatchFlushing: true, log);
        }

        _writerSource = writers.Build();

        // No claims are released here: other replicas may hold them. Those of a replica that died run out with their lease.
        log.LogInformation(
            "PostgreSQL store: {Writers} writer connection(s){Why}; commits {Durable}",
            options.EffectiveWriters,
            options.Writers is null ? $" (Storage:Writers unset: {Environment.ProcessorCount} CPU(s) available)" : "",
            Flusher is null ? "each flushed as it is made" : "made durable together, off the writers");
        StartWriters(options.EffectiveWriters, null, "postgres-writer");
    }

    private protected override SqlDialect Dialect => PostgresDialect.Instance;

    /// <summary>Connects to <see cref="StorageOptions.ConnectionString"/> and creates or migrates the schema.</summary>
    public static PostgresIncidentStore Open(StorageOptions options, TimeProvider time, ILogger log)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "incident-bot";
        }

        // The writers run the same few statements all day: prepared once per connection, they skip parsing and planning.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 256;
        }

        // The store sets no session state (its one advisory lock is the transaction's): a read connection going back to
        // the pool needs no reset, which was a round trip per read.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = options.ConnectionString };
        if (!given.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("NoResetOnClose", StringComparison.OrdinalIgnoreCase)))
        {
            builder.NoResetOnClose = true;
        }

        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            return new PostgresIncidentStore(dataSource, builder.ConnectionString, options, time, log);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    private protected override async ValueTask DisposeCoreAsync()
    {
        await base.DisposeCoreAsync(); // the writers, then the flusher
        DropBarrier();
        await _writerSource.DisposeAsync();

        await _dataSource.DisposeAsync();
    }

    private protected override DbConnection OpenWriterConnection() => _writerSource.OpenConnection();

    /// <summary>A connection as the writers get theirs (for tests: its settings).</summary>
    internal DbConnection OpenWriterConnectionForTests() => OpenWriterConnection();

    /// <summary>
    /// After a server restart or failover every connection is dead: the writers' (they reconnect) and the idle pooled
    /// ones (Npgsql hands them out unchecked, so the pools are emptied). What the writers' sessions learnt from commits
    /// is forgotten too: where commits are made durable after them, the server may have lost the last ones, and with them
    /// the numbers it gave (a lost incident's number goes to the next incident). A writer's own connection fails before
    /// it writes again, so it never writes on a new server with what it knew of the old.
    /// </summary>
    private protected override void ConnectionsLost()
    {
        ReconnectWriters();
        Volatile.Write(ref _barrierLost, 1); // and the flusher, before its next flush
        HeldFingerprints?.ForgetAll();
        PoliciesRun.ForgetAll();
        _dataSource.Clear();
        _writerSource.Clear();
    }

    /// <summary>
    /// What each writer connection sets for its session, if anything:
    /// <list type="bullet">
    /// <item>it commits without waiting for the log's flush: the flusher waits, for all of them;</item>
    /// <item>
    /// where the server leaves <c>backend_flush_after</c> at its default (0: never), the data pages the session writes out
    /// of the server's buffers are written back to disk every 256 kB (PostgreSQL's own default for its checkpointer), as
    /// the server's checkpointer and background writer already do theirs. Writing a storm's new pages out to make room, the
    /// writers left them in the OS's cache, and the checkpoint's sync then put them all in the disk's queue at once, ahead
    /// of the log's flush that answers webhooks: during a storm to 1.5 million alerts a person's note ran a p99 of 92-113
    /// ms, 35-57 ms with the writers' pages written back as they go, and 20-26 ms with every backend's (the server's own
    /// setting, which docs/deploy.md asks for). A value the server, database, role or connection string gives is kept.
    /// </item>
    /// </list>
    /// </summary>
    private static string? WriterSession(bool commitWithoutWaiting, bool writeBackAsWritten)
    {
        var sets = new List<string>(2);
        if (commitWithoutWaiting)
        {
            sets.Add("SET synchronous_commit = off");
        }

        if (writeBackAsWritten)
        {
            sets.Add("SET backend_flush_after = '256kB'");
        }

        return sets.Count == 0 ? null : string.Join("; ", sets);
    }

    /// <summary>Whether the server (as the bot's role and connection string see it) never writes back what a session writes out.</summary>
    private static bool BackendFlushAfterIsUnset(NpgsqlConnection connection)
    {
        using var show = new NpgsqlCommand("SELECT setting FROM pg_settings WHERE name = 'backend_flush_after'", connection);
        return show.ExecuteScalar() is "0";
    }

    /// <summary>
    /// Whether this server lets the store make commits durable after them (<see cref="DurabilityBarrier"/>, tried once
    /// here): a role refused the function (42501), or a server without it (42883), gets commits that flush themselves.
    /// </summary>
    private static bool CanMakeCommitsDurable(NpgsqlConnection connection, ILogger log)
    {
        try
        {
            using var barrier = Barrier(connection);
            barrier.ExecuteNonQuery();
            return true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedFunction)
        {
            log.LogWarning(
                "PostgreSQL store: pg_logical_emit_message is not allowed here ({Reason}): each writer waits for its own commits' flush, " +
                "which holds a storm's incident locked through every flush (GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) to the bot's role to lift it)",
                e.MessageText);
            return false;
        }
    }

    /// <summary>
    /// The flusher's: a transaction that waits, with the server's own <c>synchronous_commit</c>, for the log to be flushed
    /// past every commit made before it (<see cref="DurabilityBarrier"/>). Throws where it could not; its connection is
    /// then dropped, and the next flush connects again.
    /// </summary>
    private void MakeCommitsDurable()
    {
        try
        {
            if (Interlocked.Exchange(ref _barrierLost, 0) == 1)
            {
                DropBarrier();
            }

            if (_barrier is null)
            {
                _barrierConnection = _dataSource.OpenConnection();
                _barrier = Barrier(_barrierConnection);
                _barrier.Prepare(); // its four statements bound and run, each time, not parsed
            }

            _barrier.ExecuteNonQuery();
        }
        catch
        {
            DropBarrier();
            throw;
        }
    }

    private static NpgsqlBatch Barrier(NpgsqlConnection connection)
    {
        var batch = new NpgsqlBatch(connection);
        foreach (var statement in DurabilityBarrier)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        }

        return batch;
    }

    private void DropBarrier()
    {
        _barrier?.Dispose();
        _barrier = null;
        _barrierConnection?.Dispose();
        _barrierConnection = null;
    }

    /// <summary>
    /// The flush failed: whether the commits before it lasted is the server's to say (it may have failed before making
    /// them durable), so their callers get the store's failure, as for a commit whose answer was lost (a retry writes
    /// them again, or finds them), and every connection and what the writers knew is dropped (<see cref="ConnectionsLost"/>).
    /// </summary>
    private void NotDurableOnLostServer(List<WorkItem> committed, Exception e)
    {
        ConnectionsLost();
        NotDurable(committed, e);
    }

    private protected override async ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);
}

/// <summary>
/// PostgreSQL: times as <c>timestamptz</c> (to the millisecond, as on SQLite); the writer locks the rows it reads to
/// change; a unit that lost the race for a unique key runs again; a deadlock runs the batch again.
/// </summary>
internal sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override string ForUpdate => " FOR UPDATE";

    public override bool BatchesWrites => true;

    public override bool NumbersParameters => true;

    public override object Time(DateTimeOffset time) => ToMilliseconds(time);

    private static DateTimeOffset ToMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    public override string IsOneOf(string column, string parameter) => $"{column} = ANY({parameter})";

    /// <summary>
    /// Through the schema's function (migration 21): a lookup of the primary key per fingerprint, on a plan made once per
    /// connection that cannot read the incident whole, whatever the statistics said when it was made.
    /// </summary>
    public override string OpenIncidentAlerts => $"SELECT {SqlRows.KnownAlertColumns} FROM open_incident_alerts(@g, @fps)";

    public override string OpenIncidentsAlerts => $"SELECT {SqlRows.KnownAlertColumns}, group_key FROM open_incidents_alerts(@gs, @fps)";

    /// <summary>
    /// Through the schema's function (migration 28), whose one plan reads the index by record time in its order: in a
    /// storm the planner took the stretch for a few rows (its statistics older than the stretch, the heap's order not the
    /// index's) and read the 25,000-35,000 entries of 5 s whole to sort them (36-59 ms a digest, in the storm's log).
    /// </summary>
    public override string SourceActivity => $"SELECT {SqlRows.TimelineColumns} FROM source_activity(@n, @from, @to, @limit)";

    /// <summary>
    /// Through the schema's function (migration 36: the lanes' counts in an array, by the lanes' numbers, whatever the
    /// lanes; 35 took four counts, 34 three, 32 two, 31 before), the claim as SQLite runs it with its rows locked and jobs
    /// another writer is claiming right now passed over, planned once a connection: inline, PostgreSQL costed its
    /// generic plan (the time and the limit unknown) above the custom ones and planned a quarter of the claims anew, 0.63 ms
    /// each, more than the claim's run (the escalation benchmark beside a flood: 1,639 plans in 5,985 claims, on the writer).
    /// </summary>
    public override string ClaimDueJobs { get; } = $"SELECT {SqlRows.JobColumns} FROM claim_due_jobs(@now, @lease, @wanted)";

    public override IEnumerable<(string Name, object Value)> ClaimCounts(JobsWanted wanted) => [("@wanted", wanted.ByNumber())];

    public override string ContainsText(string column, string parameter) => $"{column} ILIKE {parameter} ESCAPE '\\'";

    public override object TextList(IReadOnlyCollection<string> texts) => texts as string[] ?? texts.ToArray();

    /// <summary>
    /// Each alert's incident number is read from the incident's row (the table has no foreign key to incidents: schema
    /// 22): an alert of no incident gets none, and the column refuses it. The statement's incidents are read once, into
    /// a CTE the alerts are joined to. A lookup in each alert's row was planned, where the table was small (a young
    /// install: a hundred incidents), as a scan of the whole table an alert, and that plan kept for the connection: 55
    /// alerts of 11 incidents among 100 took 1.30-1.34 ms a statement, 1.14-1.17 read once (pgbench, alternating); with
    /// 20,000 incidents, where each row's lookup probes the key, 1.11 against 1.12.
    /// </summary>
    public override string AlertArrays => $"""
        {IncidentsOnce}
        SELECT k.number, f, g, s, l, a, b, e, u, @now, @now
        FROM unnest(@n::bigint[], @f::text[], @g::text[], @s::text[], @l::text[], @a::text[], @b::timestamptz[], @e::timestamptz[], @u::text[])
            AS r (n, f, g, s, l, a, b, e, u)
            LEFT JOIN k ON k.number = r.n
        """;

    /// <summary>The incidents of a statement's rows (<c>@n</c>), read once: the rows join <c>k</c>.</summary>
    private const string IncidentsOnce = "WITH k AS MATERIALIZED (SELECT number FROM incidents WHERE number = ANY(@n::bigint[]))";

    /// <summary>Each entry's incident number read from the incident's row, as an alert's (schema 27: no foreign key).</summary>
    public override string TimelineArrays => $"""
        {IncidentsOnce}
        SELECT k.number, a, kd, i, m, t, @now
        FROM unnest(@n::bigint[], @at::timestamptz[], @kind::text[], @aid::text[], @aname::text[], @text::text[]) WITH ORDINALITY
            AS r (n, a, kd, i, m, t, o)
            LEFT JOIN k ON k.number = r.n
        ORDER BY o
        """;

    public override string IncidentTallyArrays => """
        UPDATE incidents SET updated_at = r.u, alert_count = r.a, firing_count = r.f, runbooks = r.b, first_alert_at = r.s,
            version = version + 1
        FROM unnest(@n::bigint[], @u::timestamptz[], @a::integer[], @f::integer[], @b::text[], @s::timestamptz[]) AS r (n, u, a, f, b, s)
        WHERE number = r.n
        """;

    /// <summary>Each time to the millisecond, none of them boxed (a batch's alerts bind two lists of them).</summary>
    public override object TimeList(IReadOnlyList<DateTimeOffset?> times)
    {
        var list = new DateTimeOffset?[times.Count];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = times[i] is { } time ? ToMilliseconds(time) : null;
        }

        return list;
    }

    /// <summary>Class 22 (a bad value) and class 23 (a broken constraint).</summary>
    public override bool IsUnitError(DbException e) => e is PostgresException { SqlState: [ '2', '2' or '3', ..] };

    // 53xxx insufficient resources (53100 disk full), 25006 a read-only transaction (a standby), 58030 an I/O error
    public override bool CannotWrite(DbException e) =>
        e is PostgresException { SqlState: [ '5', '3', ..] or PostgresErrorCodes.ReadOnlySqlTransaction or PostgresErrorCodes.IoError };

    public override bool IsUnitConflict(DbException e) => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public override bool IsBatchConflict(DbException e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.LockNotAvailable };
}
