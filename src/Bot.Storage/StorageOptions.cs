namespace Bot.Storage;

/// <summary>Where the bot keeps its state. Section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Sqlite</c> (the default: one process, a file) or <c>Postgres</c> (several replicas on one database).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// The PostgreSQL connection string when <see cref="Provider"/> is <c>Postgres</c>, in Npgsql's form:
    /// <c>Host=db;Database=incident_bot;Username=bot;Password=...</c>. The schema is created or migrated at start-up.
    /// </summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, "Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The SQLite database file, created with its schema on first start. Default <c>data/bot.db</c>.</summary>
    public string SqlitePath { get; set; } = Path.Combine("data", "bot.db");

    /// <summary>
    /// SQLite: when a commit is on disk. <c>Full</c> (the default): before its webhook is answered, so not even a power
    /// cut loses an acknowledged alert (the log is flushed by a thread of its own, once for all the batches committed
    /// since the last flush; should a flush fail, every write fails until the bot is restarted). <c>Normal</c>: a commit
    /// survives a crash of the bot but may be lost if the machine loses power (the log is flushed only as it is copied
    /// into the database).
    /// </summary>
    public string Synchronous { get; set; } = "Full";

    /// <summary>
    /// SQLite with <c>Synchronous = Full</c>: flushes the log file to disk. Not a setting (internal, so configuration
    /// never binds it): tests hold or fail the flush.
    /// </summary>
    internal Action<string>? SqliteLogFlush { get; set; }

    /// <summary>
    /// SQLite: writes back the pages a checkpoint copies while it copies them (<see cref="Sqlite.CheckpointWriteback"/>),
    /// in place of <c>sync_file_range</c> on the database file. Not a setting: tests count or fail it.
    /// </summary>
    internal Func<bool>? SqliteCheckpointWriteback { get; set; }

    /// <summary>
    /// PostgreSQL, where the writers' commits are made durable after them: runs the flush it is given. Not a setting
    /// (internal, so configuration never binds it): tests hold or fail the flush.
    /// </summary>
    internal Action<Action>? PostgresCommitFlush { get; set; }

    /// <summary>
    /// SQLite: the size of the write-ahead log, in 4 KiB pages, past which it starts again from its beginning (256 MiB).
    /// Not a setting (internal, so configuration never binds it): tests make it small to see the log start over.
    /// </summary>
    internal int SqliteWalResetFrames { get; set; } = 65536;

    /// <summary>
    /// SQLite: the alerts' keys that gather in memory before they are merged into the key table, and how many one step
    /// merges (<see cref="Sqlite.AlertKeys"/>). Not settings (internal): tests make them small to see merges happen.
    /// </summary>
    internal int SqliteKeyGeneration { get; set; } = Sqlite.AlertKeys.DefaultGeneration;

    internal int SqliteKeySlice { get; set; } = Sqlite.AlertKeys.DefaultSlice;

    /// <summary>SQLite: the fingerprints' hash for a new database's key table (tests give every fingerprint one hash); null: <see cref="Sqlite.AlertKeys.Hash"/>.</summary>
    internal Func<string, long>? SqliteFingerprintHash { get; set; }

    /// <summary>
    /// Most units of work committed in one transaction. Default 256 on SQLite, where a batch shares one fsync; 1 on
    /// PostgreSQL for units of no alert group (jobs, the API's writes): a long transaction holds its incidents' row locks,
    /// and could deadlock with another replica's. A writer's turn at them commits all that are queued, this many a transaction. (A
    /// writer's webhooks commit together, up to 64, their groups locked in key order, so that two replicas' batches cannot
    /// deadlock.)
    /// </summary>
    public int? MaxBatch { get; set; }

    /// <summary>
    /// PostgreSQL only: writer connections per replica, each committing side by side (their commits share the server's
    /// WAL flushes). A webhook goes to the writer of its alert group, which commits what is queued for its groups in
    /// one transaction, the groups read together: fewer writers make fuller batches, more wait less behind each other.
    /// Unset: <see cref="DefaultWriters"/> for the CPUs the process may use. A database a network away may want more, to
    /// overlap its round trips: measure with the ingest-postgres benchmark. SQLite always has one writer.
    /// </summary>
    public int? Writers { get; set; }

    /// <summary>The number of writers a PostgreSQL replica starts: <see cref="Writers"/>, or <see cref="DefaultWriters"/>.</summary>
    public int EffectiveWriters => Writers ?? DefaultWriters(Environment.ProcessorCount);

    /// <summary>
    /// 1 with up to two CPUs. Since its commits are made durable off its thread, one writer runs its next batch while the
    /// last is flushed, and its batches are twice as full as two writers' (a batch costs its statements and its commit
    /// whatever its size): on the 2-core VM with PostgreSQL on it, 100 groups at 50 connections, one replica took more
    /// with one writer in 7 pairs of 10 (up to 18%) at 6-31% less CPU a webhook, and two replicas 30-54% more in 3 pairs
    /// of 3. With a CPU limit of a third of a core, one writer took 14-28% more than two, and of half a core 7-54% more;
    /// with one core of its own (the database on other cores) two writers were not told apart from one (eight pairs,
    /// median +10%, -25% to +65%). 2 with more CPUs, as before: unmeasured here, where the CPUs are to spare the
    /// database runs two batches at once.
    /// </summary>
    public static int DefaultWriters(int processors) => processors > 2 ? 2 : 1;

    /// <summary><see cref="MaxBatch"/>, or the engine's default.</summary>
    public int EffectiveMaxBatch => MaxBatch ?? (IsPostgres ? 1 : 256);

    /// <summary>Units of work that may wait for the writer before callers are held back. Default 10,000.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long <c>/readyz</c> fails after a commit failed for want of a writable store (a full disk, a read-only file
    /// system, a standby; not a lost connection, which the next commit retries) before its own probe write may
    /// find the store ready again. Small writes may still succeed where a webhook's do not (the outbox's, the probe's own
    /// into space a failed commit left), so they do not end it. Default 10 s (a probe period of Kubernetes).
    /// </summary>
    public TimeSpan FailedCommitHold { get; set; } = TimeSpan.FromSeconds(10);
}
