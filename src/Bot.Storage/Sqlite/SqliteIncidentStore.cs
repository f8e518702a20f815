using System.Data.Common;
using System.Diagnostics.Metrics;
using Bot.Core.Telemetry;
using Bot.Storage.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Bot.Storage.Sqlite;

/// <summary>
/// The SQLite store: one file, one process. The writer keeps one connection; reads run beside it (WAL). A background
/// loop copies the write-ahead log into the database so that the writer never stalls on it.
/// </summary>
public sealed class SqliteIncidentStore : SqlIncidentStore
{
    private const int RewindFrames = 256; // what a catch-up pass may leave for the writer's rewind: 1 MiB
    private const int CatchUpPasses = 10;

    /// <summary>
    /// How often the background loop copies the log into the database while the log is less than half its reset size:
    /// a page changed again and again between two passes is copied once. A storm's alerts, whose random fingerprints
    /// change pages all over the key's index, wrote 46-48 KB a webhook with passes every 100 ms, 35-38 KB so, with 3-9%
    /// less CPU and the same rate (the store benchmark to a million alerts, in process); over HTTP, where the copying
    /// took CPU from the webhooks' handlers, 2-10% more webhooks/s and a p99 of 21-22 ms against 24-41. Past half the
    /// size the loop keeps up every <see cref="CatchUpInterval"/>, so that little is left to copy when the log must start
    /// over (waiting a second there, the writer's rewind found more to copy and the storm ran 7% slower); and the writer
    /// wakes it as the log passes its reset size.
    /// </summary>
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan CatchUpInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly AlertKeys _keys;
    private readonly Meter _meter = new(BotTelemetry.Name); // this store's instruments: gone with it
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _checkpointer;
    private readonly CheckpointWriteback _writeback;
    private readonly int _walResetFrames;
    private readonly SemaphoreSlim _wakeCheckpointer = new(0, 1);
    // The log's size in pages as the background loop last saw it, and what the writer wrote to it since: together never
    // less than the log's size, and set right at each pass (a log that started over by itself, its writer idle while a
    // pass caught up, is seen so then).
    private long _framesAtPass;
    private long _writtenSincePass;
    private long _passes;
    private volatile bool _walNeedsReset;

    private SqliteIncidentStore(string connectionString, StorageOptions options, TimeProvider time, ILogger log)
        : base(options, time, log)
    {
        _connectionString = connectionString;
        _walResetFrames = options.SqliteWalResetFrames;
        var connection = (SqliteConnection)OpenWriterConnection();
        SqliteSchema.Migrate(connection, time.GetUtcNow().ToUnixTimeMilliseconds());
        _keys = new AlertKeys(options.SqliteKeyGeneration, options.SqliteKeySlice, options.SqliteFingerprintHash, log);
        _keys.Load(connection);
        // Read from the keys at each scrape (observed: both served from the start); a count of keys held that grows with
        // the alerts while merges fail is memory that grows (the alert rule IncidentBotAlertKeysNotMerging).
        _meter.CreateObservableGauge(
            "incidentbot.store.alert_keys.held", () => (long)_keys.Held, "{key}",
            "Alerts' keys held in memory until merged into the store's key table (SQLite)");
        _meter.CreateObservableCounter(
            "incidentbot.store.alert_keys.merge_failures", () => _keys.MergeFailures, "{merge}",
            "Merges of alerts' keys into the store's key table that failed; the keys stay in memory meanwhile (SQLite)");

        _writeback = new CheckpointWriteback(DatabasePath, log, options.SqliteCheckpointWriteback);
        // A thread of its own, as the writer's: a pass blocks for as long as it copies and syncs (past 250 ms in a storm
        // on one core), and on the thread pool it held a thread the webhooks' answers wait for.
        _checkpointer = OwnThread.Start("sqlite-checkpoint", CheckpointLoop);

        // One process owns a SQLite file: claims left by a previous run of it are void.
        SqliteSchema.Exec(connection, "UPDATE outbox SET state = 0, lease_until = NULL WHERE state = 1");
        if (string.Equals(options.Synchronous, "Full", StringComparison.OrdinalIgnoreCase))
        {
            var flush = options.SqliteLogFlush ?? LogFileSync.Default.Flush;
            var logPath = DatabasePath + "-wal";
            Flusher = new CommitFlusher("sqlite-log-flush", () => flush(logPath), Acknowledged, NotDurable, failureLasts: true, oneBatchFlushing: false, log);
        }

        StartWriters(1, connection, "sqlite-writer");
    }

    /// <summary>The background loop's passes so far (not counting its catch-up passes).</summary>
    internal long CheckpointPasses => Interlocked.Read(ref _passes);

    public string DatabasePath => new SqliteConnectionStringBuilder(_connectionString).DataSource;

    private protected override SqlDialect Dialect => SqliteDialect.Instance;

    /// <summary>
    /// Whether SQLite runs as the store uses it, set before the library's first use: multi-threaded (a connection is
    /// never used by two threads at once, so SQLite need not lock each call: a lock and unlock in every bind, step and
    /// reset, 7% of a storm's writer) and without memory statistics (a global lock in every allocation). A webhook of a
    /// storm took 10% less CPU in the store benchmark. False when something opened SQLite first: then it keeps its
    /// defaults, which are as correct and slower.
    /// </summary>
    private static readonly bool LibraryTuned = TuneLibrary();

    private static bool TuneLibrary()
    {
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD) == SQLitePCL.raw.SQLITE_OK
            && SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0) == SQLitePCL.raw.SQLITE_OK;
    }

    /// <summary>Opens (creating and migrating) the database at <see cref="StorageOptions.SqlitePath"/>.</summary>
    public static SqliteIncidentStore Open(StorageOptions options, TimeProvider time, ILogger log)
    {
        if (!LibraryTuned)
        {
            log.LogDebug("SQLite was started before the store: it keeps its serialized mode and memory statistics");
        }

        var path = Path.GetFullPath(options.SqlitePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 5,
        }.ToString();
        return new SqliteIncidentStore(connectionString, options, time, log);
    }

    private protected override async ValueTask DisposeCoreAsync()
    {
        await base.DisposeCoreAsync();
        await _stopping.CancelAsync();
        await _checkpointer;
        _stopping.Dispose();
        _wakeCheckpointer.Dispose();
        _meter.Dispose();
        SqliteConnection.ClearAllPools();
        _writeback.Dispose(); // its file last: closing it releases the process's locks on the database (see the class)
    }

    private protected override DbConnection OpenWriterConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // WAL: readers never wait for the writer. NORMAL: a commit writes the log without flushing it to disk; with
        // Synchronous = Full, a batch's callers wait for the flush that the CommitFlusher makes after it (off this thread).
        // Checkpoints copy the WAL into the database file. Done by the writer (SQLite's default) they stall the commit
        // that triggers one, so a background loop does the copying (PASSIVE: never blocks writes). Under constant
        // writes a passive checkpoint never catches the very end of the log, so the WAL would grow for ever: when it
        // passes its reset size (256 MiB), the background loop catches up (see CheckpointLoop) and then the writer
        // checkpoints the little that is left between two batches (6-25 ms: it syncs the database file), after which its
        // next write starts the log from the beginning again. The file stays at that size, reused.
        // temp_store = MEMORY: statement journals (a statement that may fail halfway through its rows) stay in memory; as
        // files, they were created and deleted on the writer's thread, batch after batch. cache_size: 8 MiB; the
        // database's pages stay in the OS cache besides. Set here, so that a writer that reconnects keeps them.
        SqliteSchema.Exec(
            connection,
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; " +
            "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;");
        return connection;
    }

    private protected override ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return ValueTask.FromResult<DbConnection>(connection);
    }

    /// <summary>The alerts' keys written lately, merged into the key table between batches (<see cref="Sqlite.AlertKeys"/>).</summary>
    private protected override IAlertKeys AlertKeys => _keys;

    /// <summary>Where the merge of the alerts' keys stands (for tests).</summary>
    internal AlertKeys Keys => _keys;

    /// <summary>This store's own instruments (for tests: several stores may live in one process).</summary>
    internal Meter Meter => _meter;

    private protected override void AfterBatch(DbConnection connection, SqlSession session)
    {
        _keys.MergeStep((SqliteConnection)connection, session.Direct!, PersonWaitsCheck);

        // The pages this connection wrote to the log since the last call (SQLite counts them; the flag starts it over).
        SQLitePCL.raw.sqlite3_db_status(((SqliteConnection)connection).Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out var written, out _, 1);
        if (_walNeedsReset)
        {
            _walNeedsReset = false;
            Checkpoint((SqliteConnection)connection, "writer");
            Volatile.Write(ref _framesAtPass, 0);
            Interlocked.Exchange(ref _writtenSincePass, 0);
            return;
        }

        // As the log passes its reset size the background loop is woken, instead of finding it on its next pass, up to a
        // second later, while a storm may append 250 MB a second to the log. The writer is the only one to release, so a
        // wake the loop has not taken yet is never released twice.
        if (Volatile.Read(ref _framesAtPass) + Interlocked.Add(ref _writtenSincePass, written) > _walResetFrames && _wakeCheckpointer.CurrentCount == 0)
        {
            _wakeCheckpointer.Release();
        }
    }

    private void CheckpointLoop()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteSchema.Exec(connection, "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;"); // a checkpoint flushes the log first, and the database after
        var wait = CheckpointInterval;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                _wakeCheckpointer.Wait(wait, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                Interlocked.Exchange(ref _writtenSincePass, 0); // what the writer writes from now on, the pass may count too: the sum errs high
                var frames = Checkpoint(connection, "background");
                Volatile.Write(ref _framesAtPass, frames);
                Interlocked.Increment(ref _passes);
                wait = frames > _walResetFrames / 2 ? CatchUpInterval : CheckpointInterval;
                if (frames > _walResetFrames && !_walNeedsReset)
                {
                    // Catch up before asking the writer to rewind: each pass copies what the writer appended during the
                    // pass before, so the passes get shorter, and the writer's own checkpoint (which holds every write up
                    // while it copies and syncs the database file) finds little left.
                    for (var pass = 0; pass < CatchUpPasses; pass++)
                    {
                        var next = Checkpoint(connection, "background");
                        var appended = next - frames;
                        frames = next;
                        if (appended < RewindFrames)
                        {
                            break;
                        }
                    }

                    _walNeedsReset = true;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.LogWarning("WAL checkpoint failed (will retry): {Reason}", e.Message); // the loop goes on: the log must not grow for ever
            }
        }

        try
        {
            SqliteSchema.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        catch (SqliteException)
        {
        }
    }

    /// <summary>
    /// A passive checkpoint, its pages written back as it copies them, timed (<see cref="BotTelemetry.CheckpointDuration"/>,
    /// <paramref name="by"/> the writer or the background loop); returns the WAL's size in frames.
    /// </summary>
    private long Checkpoint(SqliteConnection connection, string by)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return _writeback.During(() =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                using var reader = command.ExecuteReader();
                return reader.Read() ? reader.GetInt64(1) : 0;
            });
        }
        finally
        {
            BotTelemetry.CheckpointDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, BotTelemetry.Tag("by", by));
        }
    }

    /// <summary>How the checkpoints' pages are written back (for tests).</summary>
    internal CheckpointWriteback Writeback => _writeback;
}

/// <summary>SQLite: times as Unix milliseconds; one writer, so no locks to take; a broken constraint is the unit's own error.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public override bool OnlyWriter => true;

    public override IDirectStatements? DirectStatements(DbConnection connection) => new SqliteDirectStatements((SqliteConnection)connection);

    private const int SqliteConstraint = 19;

    public static readonly SqliteDialect Instance = new();

    public override object Time(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>SQLite has no arrays: the list is a JSON array, read by <c>json_each</c>.</summary>
    public override string IsOneOf(string column, string parameter) => $"{column} IN (SELECT value FROM json_each({parameter}))";

    /// <summary>SQLite's LIKE ignores the case of ASCII letters only.</summary>
    public override string ContainsText(string column, string parameter) => $"{column} LIKE {parameter} ESCAPE '\\'";

    public override object TextList(IReadOnlyCollection<string> texts) => JsonText.Write(texts, static (w, list) =>
    {
        w.WriteStartArray();
        foreach (var text in list)
        {
            w.WriteStringValue(text);
        }

        w.WriteEndArray();
    });

    public override bool IsUnitError(DbException e) => e is SqliteException { SqliteErrorCode: SqliteConstraint };

    // SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR (a write the file system refused)
    public override bool CannotWrite(DbException e) => e is SqliteException { SqliteErrorCode: 13 or 8 or 10 };
}
