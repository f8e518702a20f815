using System.Threading.Channels;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using static Bot.Storage.Sqlite.SqliteRows;

namespace Bot.Storage.Sqlite;

/// <summary>
/// The SQLite store. All writes go through one writer: units of work queue on a bounded channel, and the
/// writer runs them back to back in one transaction (each in a savepoint, so one failing unit does not undo the
/// others), commits, and only then completes their tasks. One fsync is shared by a whole batch, which is what
/// makes acknowledging a webhook only after its commit affordable. Reads use their own pooled connections (WAL).
/// </summary>
public sealed class SqliteIncidentStore : IIncidentStore, IAsyncDisposable
{
    private const int SqliteConstraint = 19;
    private const int WalResetFrames = 65536; // 256 MiB of 4 KiB pages
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly int _maxBatch;
    private readonly Channel<WorkItem> _queue;
    private readonly Channel<WorkItem> _interactive = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _writer;
    private readonly string _synchronous;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _checkpointer;
    private volatile Exception? _writerFault;
    private volatile bool _walNeedsReset;

    private SqliteIncidentStore(string connectionString, StorageOptions options, TimeProvider time, ILogger log)
    {
        _connectionString = connectionString;
        _time = time;
        _log = log;
        _maxBatch = options.MaxBatch;
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _synchronous = options.Synchronous.ToUpperInvariant();
        var connection = OpenConnection();
        SqliteSchema.Migrate(connection, Ms(time.GetUtcNow()));

        // Checkpoints copy the WAL into the database file. Done by the writer (SQLite's default) they stall the commit
        // that triggers one, so a background loop does the copying (PASSIVE: never blocks writes). Under constant
        // writes a passive checkpoint never catches the very end of the log, so the WAL would grow for ever: when it
        // passes WalResetFrames (a rewind costs the writer ~100 ms, so it is kept rare), the writer checkpoints the little that is left between two batches, after which
        // its next write starts the log from the beginning again. The file stays at that size, reused.
        SqliteSchema.Exec(connection, "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -16384;");
        _checkpointer = Task.Run(CheckpointLoop);

        // One process owns a SQLite file: claims left by a previous run of it are void.
        SqliteSchema.Exec(connection, "UPDATE outbox SET state = 0, lease_until = NULL WHERE state = 1");
        _writer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => WriteLoop(connection)) { IsBackground = true, Name = "sqlite-writer" };
        thread.Start();
    }

    public event Action? JobsEnqueued;

    public string DatabasePath => new SqliteConnectionStringBuilder(_connectionString).DataSource;

    /// <summary>Opens (creating and migrating) the database at <see cref="StorageOptions.SqlitePath"/>.</summary>
    public static SqliteIncidentStore Open(StorageOptions options, TimeProvider time, ILogger log)
    {
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

    public Task<T> WriteAsync<T>(Func<IIncidentSession, T> work, CancellationToken cancellationToken = default) =>
        EnqueueAsync(_queue, work, cancellationToken);

    public Task<T> WriteInteractiveAsync<T>(Func<IIncidentSession, T> work, CancellationToken cancellationToken = default) =>
        EnqueueAsync(_interactive, work, cancellationToken);

    private async Task<T> EnqueueAsync<T>(Channel<WorkItem> queue, Func<IIncidentSession, T> work, CancellationToken cancellationToken)
    {
        if (_writerFault is { } fault)
        {
            throw new StoreUnavailableException($"The store's writer stopped: {fault.Message}", fault);
        }

        var item = new WorkItem<T>(work);
        try
        {
            await queue.Writer.WriteAsync(item, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new StoreUnavailableException("The store is shut down.", e);
        }

        return await item.Task;
    }

    public Task<IReadOnlyList<Incident>> ListIncidentsAsync(IncidentQuery query, CancellationToken cancellationToken = default)
    {
        var where = query.Status is not null ? "WHERE status = $status" : query.OpenOnly ? "WHERE open_group_key IS NOT NULL" : "";
        return ReadAsync<IReadOnlyList<Incident>>(
            c => All(
                c,
                $"SELECT {IncidentColumns} FROM incidents {where} ORDER BY number DESC LIMIT $limit",
                Incident,
                ("$limit", query.Limit),
                ("$status", query.Status?.Name() ?? "")));
    }

    public Task<Incident?> GetIncidentAsync(long number, CancellationToken cancellationToken = default) =>
        ReadAsync(c => All(c, $"SELECT {IncidentColumns} FROM incidents WHERE number = $n", Incident, ("$n", number)).FirstOrDefault());

    public Task<Incident?> FindIncidentByChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        ReadAsync(c => All(c, $"SELECT {IncidentColumns} FROM incidents WHERE channel_id = $c ORDER BY number DESC LIMIT 1", Incident, ("$c", channelId)).FirstOrDefault());

    public Task<IReadOnlyList<StoredAlert>> GetAlertsAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<StoredAlert>>(
            c => All(c, $"SELECT {AlertColumns} FROM alerts WHERE incident_number = $n ORDER BY first_seen_at, starts_at, fingerprint", Alert, ("$n", incidentNumber)));

    public Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<TimelineEntry>>(
            c => All(c, $"SELECT {TimelineColumns} FROM timeline WHERE incident_number = $n ORDER BY at, id", Timeline, ("$n", incidentNumber)));

    public Task<IReadOnlyList<TimelineEntry>> GetTimelineRecordedAsync(long incidentNumber, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<TimelineEntry>>(
            c => All(
                c,
                $"SELECT {TimelineColumns} FROM timeline WHERE incident_number = $n AND recorded_at >= $from AND recorded_at < $to ORDER BY at, id",
                Timeline,
                ("$n", incidentNumber),
                ("$from", Ms(from)),
                ("$to", Ms(to))));

    public Task<IReadOnlyList<IncidentTask>> GetTasksAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<IncidentTask>>(
            c => All(
                c,
                "SELECT number, kind, title, assignee, url, state FROM tasks WHERE incident_number = $n ORDER BY number",
                r => new IncidentTask(r.GetString(1), r.GetString(2), TextOrNull(r, 4), TextOrNull(r, 5), TextOrNull(r, 3)) { Number = r.GetInt32(0) },
                ("$n", incidentNumber)));

    public async Task<DateTimeOffset?> NextDueAtAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(c => All(
            c,
            // The claim's own rule: a job waiting behind an earlier one of its ordering key is not next.
            $"SELECT o.due_at FROM outbox o WHERE o.state = 0 AND {NotBlocked} ORDER BY o.due_at LIMIT 1",
            r => TimeOrNull(r, 0)))).FirstOrDefault();

    public Task CheckAsync(CancellationToken cancellationToken = default)
    {
        if (_writerFault is { } fault)
        {
            throw new StoreUnavailableException($"The store's writer stopped: {fault.Message}", fault);
        }

        return ReadAsync(c => All(c, "SELECT version FROM schema_migrations LIMIT 1", r => r.GetInt64(0)));
    }

    public async ValueTask DisposeAsync()
    {
        _interactive.Writer.TryComplete();
        _queue.Writer.TryComplete();
        await _writer.Task;
        await _stopping.CancelAsync();
        await _checkpointer;
        _stopping.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private async Task CheckpointLoop()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteSchema.Exec(connection, $"PRAGMA synchronous = {_synchronous}; PRAGMA busy_timeout = 5000;");
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CheckpointInterval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            try
            {
                if (Checkpoint(connection) > WalResetFrames)
                {
                    _walNeedsReset = true;
                }
            }
            catch (SqliteException e)
            {
                _log.LogWarning("WAL checkpoint failed (will retry): {Reason}", e.Message);
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

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // WAL: readers never wait for the writer; FULL: a commit is on disk before a webhook is acknowledged.
        SqliteSchema.Exec(connection, $"PRAGMA journal_mode = WAL; PRAGMA synchronous = {_synchronous}; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
        return connection;
    }

    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read)
    {
        try
        {
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            return Task.FromResult(read(connection));
        }
        catch (SqliteException e)
        {
            return Task.FromException<T>(new StoreUnavailableException($"The store could not be read: {e.Message}", e));
        }
    }

    private static List<T> All<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read, params (string Name, object Value)[] args)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in args)
        {
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>The writer: a thread of its own, so that it never queues behind request handlers for a pool thread.</summary>
    private void WriteLoop(SqliteConnection connection)
    {
        using var session = new SqliteSession(connection);
        var batch = new List<WorkItem>(_maxBatch);
        try
        {
            while (WaitForWork())
            {
                // People first: interactive work goes at the head of every batch.
                while (batch.Count < _maxBatch && (_interactive.Reader.TryRead(out var item) || _queue.Reader.TryRead(out item)))
                {
                    batch.Add(item);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                RunBatch(connection, session, batch);
                batch.Clear();
                if (_walNeedsReset)
                {
                    _walNeedsReset = false;
                    Checkpoint(connection);
                }
            }
        }
        catch (Exception e)
        {
            _writerFault = e;
            _log.LogCritical(e, "The SQLite writer stopped");
            _queue.Writer.TryComplete(e);
            _interactive.Writer.TryComplete(e);
            foreach (var item in batch)
            {
                item.Abandoned(new StoreUnavailableException("The store's writer stopped.", e));
            }
        }
        finally
        {
            connection.Dispose();
            _writer.TrySetResult();
        }
    }

    /// <summary>A passive checkpoint; returns the WAL's size in frames.</summary>
    private static long Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(1) : 0;
    }

    /// <summary>Blocks the writer thread until either queue has work; false once both are closed and empty.</summary>
    private bool WaitForWork()
    {
        while (true)
        {
            if (_interactive.Reader.TryPeek(out _) || _queue.Reader.TryPeek(out _))
            {
                return true;
            }

            var open = new[] { _interactive.Reader, _queue.Reader }.Where(r => !r.Completion.IsCompleted).Select(r => r.WaitToReadAsync().AsTask()).ToArray();
            if (open.Length == 0)
            {
                return false;
            }

            Task.WaitAny(open);
        }
    }

    private void RunBatch(SqliteConnection connection, SqliteSession session, List<WorkItem> batch)
    {
        session.Now = _time.GetUtcNow();
        session.EnqueuedJobs = false;
        try
        {
            using (var tx = connection.BeginTransaction(deferred: false))
            {
                session.Transaction = tx;
                foreach (var item in batch)
                {
                    session.Exec("SAVEPOINT unit");
                    try
                    {
                        item.Run(session);
                        session.Exec("RELEASE unit");
                    }
                    catch (SqliteException e) when (e.SqliteErrorCode != SqliteConstraint)
                    {
                        throw; // the database itself failed: the whole batch is lost
                    }
                    catch (Exception)
                    {
                        session.Exec("ROLLBACK TO unit");
                        session.Exec("RELEASE unit");
                    }
                }

                tx.Commit();
            }

            session.Transaction = null;
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            session.Transaction = null;
            _log.LogError(e, "A write batch of {Count} units did not commit", batch.Count);
            var error = new StoreUnavailableException($"The store could not commit: {e.Message}", e);
            foreach (var item in batch)
            {
                item.Abandoned(error);
            }

            return;
        }

        if (session.EnqueuedJobs)
        {
            JobsEnqueued?.Invoke(); // before the callers resume: what they enqueued is already on its way
        }

        foreach (var item in batch)
        {
            item.Committed();
        }
    }
}
