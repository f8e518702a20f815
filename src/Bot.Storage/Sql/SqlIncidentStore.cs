using System.Diagnostics;
using Bot.Core.Telemetry;
using System.Data.Common;
using System.Text;
using System.Threading.Channels;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Store;
using Microsoft.Extensions.Logging;
using static Bot.Storage.Sql.SqlRows;

namespace Bot.Storage.Sql;

/// <summary>
/// A store on a SQL engine, written through its writers (one for SQLite): units of work queue on a bounded channel, and a
/// writer runs them back to back in one transaction, commits, and only then completes their tasks (a failing unit is
/// undone alone: the transaction is rolled back and the units before it run again, see <see cref="RunUnits"/>). One
/// commit (one fsync) is shared by a whole batch, which is what makes acknowledging a webhook only after its commit
/// affordable. Reads use pooled connections of their own.
/// Where several processes write one database (PostgreSQL), the dialect's locks and conflict rules keep them apart.
/// </summary>
public abstract class SqlIncidentStore : IIncidentStore, IAsyncDisposable
{
    private const int UnitTries = 5;
    private const int BatchTries = 5;

    private readonly TimeProvider _time;
    private readonly int _maxBatch;
    private readonly Channel<WorkItem> _queue;
    private readonly Channel<WorkItem> _interactive = Channel.CreateUnbounded<WorkItem>();
    private readonly int _queueCapacity;
    private Channel<WorkItem>[] _affine = []; // one per writer on PostgreSQL: the work of one group, on one writer
    private readonly List<Task> _writers = [];
    private volatile Exception? _writerFault;
    private readonly TimeSpan _failedCommitHold;
    private volatile FailedCommit? _lastFailedCommit;
    private int _disposed;
    private int _generation;

    private protected SqlIncidentStore(StorageOptions options, TimeProvider time, ILogger log)
    {
        _time = time;
        Log = log;
        _maxBatch = options.EffectiveMaxBatch;
        _queueCapacity = options.QueueCapacity;
        _failedCommitHold = options.FailedCommitHold;
        PersonWaitsCheck = () => PersonWaits;
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public event Action? JobsEnqueued;

    private protected ILogger Log { get; }

    /// <summary>
    /// The fingerprints each group's open incident holds, as this process wrote them (its writers' sessions share them),
    /// where the engine is a server (PostgreSQL); null on SQLite, where a lookup probes the page its insert then writes,
    /// in the process (skipping it was tried: no less CPU a webhook, and the filter's memory).
    /// </summary>
    internal HeldFingerprints? HeldFingerprints => Dialect.BatchesWrites ? _heldFingerprints : null;

    private readonly HeldFingerprints _heldFingerprints = new();

    /// <summary>The policies seen committed as having run on an incident, its writers' sessions share them.</summary>
    internal PoliciesRun PoliciesRun { get; } = new();

    private protected abstract SqlDialect Dialect { get; }

    public Task<T> WriteAsync<T>(Func<IStoreSession, T> work, CancellationToken cancellationToken = default) =>
        EnqueueAsync(_queue, work, cancellationToken);

    /// <summary>
    /// On PostgreSQL (whatever its number of writers), the work of one group always goes to the same writer, which runs
    /// what is queued for it in one transaction, groups in the order of their keys: a storm's webhooks share commits
    /// instead of queueing on their incident's row lock, and two replicas' transactions take their groups' locks in the
    /// same order, so they never deadlock.
    /// </summary>
    public Task<T> WriteAsync<T>(Func<IStoreSession, T> work, Affinity affinity, CancellationToken cancellationToken = default) =>
        _affine.Length == 0
            ? EnqueueAsync(_queue, work, cancellationToken)
            : EnqueueAsync(_affine[(int)((uint)StringComparer.Ordinal.GetHashCode(affinity.Group) % (uint)_affine.Length)], work, cancellationToken, affinity);

    public Task<T> WriteInteractiveAsync<T>(Func<IStoreSession, T> work, CancellationToken cancellationToken = default) =>
        EnqueueAsync(_interactive, work, cancellationToken, queued: Flusher is { } flusher ? flusher.Interrupt : null);

    public Task<IReadOnlyList<Incident>> ListIncidentsAsync(IncidentQuery query, CancellationToken cancellationToken = default)
    {
        // Newest first down the primary key, each filter a condition on the row (or one escalation lookup by its key): a
        // page stops at its limit, so a common filter reads little; a rare one reads the incidents until the page fills.
        var where = new List<string> { query.Status is not null ? "status = @status" : query.OpenOnly ? "open_group_key IS NOT NULL" : "TRUE" };
        if (query.Before is not null)
        {
            where.Add("number < @before");
        }

        if (query.Severity is not null)
        {
            where.Add("severity = @sev");
        }

        if (query.PagedBy is not null)
        {
            where.Add($"EXISTS (SELECT 1 FROM escalations e WHERE e.incident_number = incidents.number AND {Dialect.IsOneOf("e.policy", "@policies")})");
        }

        if (query.OpenedFrom is not null)
        {
            where.Add("created_at >= @from");
        }

        if (query.OpenedBefore is not null)
        {
            where.Add("created_at < @to");
        }

        if (!string.IsNullOrEmpty(query.TitleContains))
        {
            where.Add(Dialect.ContainsText("title", "@title"));
        }

        return ReadAsync<Incident>(
            $"SELECT {IncidentColumns} FROM incidents WHERE {string.Join(" AND ", where)} ORDER BY number DESC LIMIT @limit",
            Incident,
            cancellationToken,
            ("@limit", query.Limit),
            ("@status", query.Status?.Name() ?? ""),
            ("@before", query.Before ?? 0L),
            ("@sev", (int)(query.Severity ?? 0)),
            ("@policies", Dialect.TextList(query.PagedBy ?? [])),
            ("@from", Dialect.Time(query.OpenedFrom)),
            ("@to", Dialect.Time(query.OpenedBefore)),
            ("@title", SqlDialect.LikePattern(query.TitleContains ?? "")));
    }

    public async Task<IReadOnlyList<Core.Reports.IncidentFacts>> ListIncidentFactsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        // Through ix_incidents_created, and the escalations' primary key: the stretch's rows only.
        (string, object)[] args = [("@from", Dialect.Time(from)), ("@to", Dialect.Time(to))];
        const string Stretch = "created_at >= @from AND created_at < @to";
        var paged = (await ReadAsync(
                $"SELECT e.incident_number, e.policy FROM escalations e JOIN incidents i ON i.number = e.incident_number WHERE i.{Stretch.Replace(" AND ", " AND i.", StringComparison.Ordinal)}",
                r => (Number: r.GetInt64(0), Policy: r.GetString(1)),
                cancellationToken,
                args))
            .ToLookup(p => p.Number, p => p.Policy);
        return await ReadAsync(
            $"SELECT number, severity, created_at, acknowledged_at, resolved_at FROM incidents WHERE {Stretch} ORDER BY number",
            r => new Core.Reports.IncidentFacts(
                r.GetInt64(0), (Severity)Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), SqlRows.Time(r, 2), SqlRows.TimeOrNull(r, 3), SqlRows.TimeOrNull(r, 4), [.. paged[r.GetInt64(0)]]),
            cancellationToken,
            args);
    }

    public Task<IReadOnlyList<Core.Escalation.EscalationState>> ListEscalationsAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync(SqlRows.EscalationsOf, r => SqlRows.Escalation(r, incidentNumber), cancellationToken, ("@n", incidentNumber));

    public Task<IReadOnlyList<Core.Escalation.PageUnderWay>> ListPagesUnderWayAsync(long incidentNumber, int limit, CancellationToken cancellationToken = default)
    {
        var (from, to) = Core.Escalation.PageUnderWay.KeyRange(incidentNumber);
        return ReadAsync(
            PagesUnderWay,
            r => new Core.Escalation.PageUnderWay(r.GetString(0), r.GetString(1), r.GetInt32(2), SqlRows.Time(r, 3), SqlRows.TimeOrNull(r, 4), r.GetInt32(5) == 1, SqlRows.TextOrNull(r, 6)),
            cancellationToken,
            ("@from", from),
            ("@to", to),
            ("@limit", limit));
    }

    /// <summary>An incident's paging jobs not done, through the outbox's unique index of keys (its escalation jobs' range).</summary>
    private static readonly string PagesUnderWay =
        "SELECT kind, payload, attempts, due_at, first_due_at, state, last_error FROM outbox WHERE key >= @from AND key < @to AND state IN (0, 1) " +
        $"AND kind IN ({string.Join(", ", Core.Escalation.PageUnderWay.Kinds.Select(k => $"'{k}'"))}) ORDER BY COALESCE(first_due_at, due_at), id LIMIT @limit";

    public Task<IReadOnlyList<Core.Escalation.OverrideOptions>> ListOverridesAsync(string team, DateTimeOffset after, CancellationToken cancellationToken = default) =>
        ReadAsync(SqlRows.OverridesOf, SqlRows.Override, cancellationToken, ("@team", team.ToLowerInvariant()), ("@after", Dialect.Time(after)));

    public Task<IReadOnlyList<string>> ListHostKeysAsync(CancellationToken cancellationToken = default) =>
        ReadAsync("SELECT document FROM host_keys ORDER BY name", r => r.GetString(0), cancellationToken);

    public Task<IReadOnlyList<Core.Reports.PageFact>> ListPagesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        ReadAsync(
            "SELECT user_id, incident_number, policy, at FROM pages WHERE at >= @from AND at < @to ORDER BY at",
            r => new Core.Reports.PageFact(r.GetString(0), r.GetInt64(1), r.GetString(2), SqlRows.Time(r, 3)),
            cancellationToken,
            ("@from", Dialect.Time(from)),
            ("@to", Dialect.Time(to)));

    public async Task<Incident?> GetIncidentAsync(long number, CancellationToken cancellationToken = default) =>
        (await ReadAsync($"SELECT {IncidentColumns} FROM incidents WHERE number = @n", Incident, cancellationToken, ("@n", number))).FirstOrDefault();

    public async Task<Incident?> FindIncidentByChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        (await ReadAsync(
            $"SELECT {IncidentColumns} FROM incidents WHERE channel_id = @c ORDER BY number DESC LIMIT 1", Incident, cancellationToken, ("@c", channelId)))
        .FirstOrDefault();

    public Task<IReadOnlyList<StoredAlert>> GetAlertsAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync($"SELECT {AlertColumns} FROM alerts WHERE incident_number = @n ORDER BY {AlertOrder}", Alert, cancellationToken, ("@n", incidentNumber));

    public Task<IReadOnlyList<StoredAlert>> ListAlertsAsync(long incidentNumber, AlertQuery query, CancellationToken cancellationToken = default)
    {
        // Keyset paging on the listing order (index ix_alerts_seen), forwards or backwards: a page costs the same at the
        // millionth alert as at the first.
        var (after, order) = query.NewestFirst
            ? ("(first_seen_at, starts_at, fingerprint) < (@seen, @starts, @fp)", "first_seen_at DESC, starts_at DESC, fingerprint DESC")
            : ("(first_seen_at, starts_at, fingerprint) > (@seen, @starts, @fp)", AlertOrder);
        return ReadAsync(
            $"SELECT {AlertColumns} FROM alerts WHERE incident_number = @n{(query.After is null ? "" : $" AND {after}")} ORDER BY {order} LIMIT @limit",
            Alert,
            cancellationToken,
            ("@n", incidentNumber),
            ("@limit", query.Limit),
            ("@seen", Dialect.Time(query.After?.FirstSeenAt)),
            ("@starts", Dialect.Time(query.After?.StartsAt)),
            ("@fp", (object?)query.After?.Fingerprint ?? DBNull.Value));
    }

    public Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync($"SELECT {TimelineColumns} FROM timeline WHERE incident_number = @n ORDER BY at, id", Timeline, cancellationToken, ("@n", incidentNumber));

    /// <summary>The condition of ix_timeline_kind (schema 25), word for word.</summary>
    internal const string NotAlertActivity = " AND kind NOT IN ('alert_firing', 'alert_resolved')";

    public Task<IReadOnlyList<TimelineEntry>> ListTimelineAsync(long incidentNumber, TimelineQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(
            TimelinePageSql(query),
            Timeline,
            cancellationToken,
            ("@n", incidentNumber),
            ("@limit", query.Limit),
            ("@at", Dialect.Time(query.After?.At)),
            ("@id", query.After?.Id ?? 0L));

    /// <summary>A page of an incident's timeline (@n), @limit entries after (@at, @id) when the query has a position.</summary>
    internal static string TimelinePageSql(TimelineQuery query)
    {
        // Keyset paging on (at, id) through ix_timeline_at. Some kinds: a page per kind people or the bot write, through
        // ix_timeline_kind, which holds only those (its condition named as the index names it, which SQLite needs to use
        // it), so that reading them never walks past a storm's alert entries; the alerts' kinds in one page through
        // ix_timeline_at, as most entries of a storm's incident are theirs (a page per alerts' kind would walk a storm's
        // whole timeline looking for a resolution that never came); the pages merged. The kinds are the enum's own names,
        // never outside text.
        var order = query.NewestFirst ? "at DESC, id DESC" : "at, id";
        var after = query.After is null ? "" : query.NewestFirst ? " AND (at, id) < (@at, @id)" : " AND (at, id) > (@at, @id)";
        string Page(string kind) =>
            $"SELECT {TimelineColumns} FROM timeline WHERE incident_number = @n{kind}{after} ORDER BY {order} LIMIT @limit";
        if (query.Kinds is null)
        {
            return Page("");
        }

        var kinds = query.Kinds.Distinct().ToList();
        var alerts = kinds.Where(TimelineKindText.AlertActivity.Contains).Select(k => $"'{k.Name()}'").ToList();
        var pages = kinds.Except(TimelineKindText.AlertActivity).Select(k => Page($" AND kind = '{k.Name()}'{NotAlertActivity}"))
            .Concat(alerts.Count == 0 ? [] : [Page($" AND kind IN ({string.Join(", ", alerts)})")])
            .ToList();
        return pages.Count switch
        {
            0 => Page(" AND FALSE"),
            1 => pages[0],
            _ => string.Join(" UNION ALL ", pages.Select((page, i) => $"SELECT * FROM ({page}) k{i}")) + $" ORDER BY {order} LIMIT @limit",
        };
    }

    public async Task<TimelineExcerpt> GetSourceActivityAsync(
        long incidentNumber, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken = default)
    {
        (string, object)[] args = [("@n", incidentNumber), ("@from", Dialect.Time(from)), ("@to", Dialect.Time(to)), ("@limit", limit)];
        var entries = (await ReadAsync(Dialect.SourceActivity, Timeline, cancellationToken, args)).OrderBy(e => e.At).ThenBy(e => e.Id).ToList();
        var total = entries.Count < limit
            ? entries.Count
            : (await ReadAsync($"SELECT COUNT(*) FROM timeline WHERE {SqlDialect.SourceActivityStretch}", r => Convert.ToInt32(r.GetValue(0)), cancellationToken, args))[0];
        return new TimelineExcerpt(entries, total);
    }

    public Task<IReadOnlyList<IncidentTask>> GetTasksAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        ReadAsync(
            "SELECT number, kind, title, assignee, url, state FROM tasks WHERE incident_number = @n ORDER BY number",
            r => new IncidentTask(r.GetString(1), r.GetString(2), TextOrNull(r, 4), TextOrNull(r, 5), TextOrNull(r, 3)) { Number = r.GetInt32(0) },
            cancellationToken,
            ("@n", incidentNumber));

    public async Task<string?> GetChannelTopicAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        (await ReadAsync("SELECT topic FROM channel_topics WHERE incident_number = @n", r => r.GetString(0), cancellationToken, ("@n", incidentNumber))).SingleOrDefault();

    /// <summary>Through ix_outbox_order (the ordering key's jobs not done, by id).</summary>
    public async Task<bool> LaterJobIsDueAsync(Core.Effects.EffectJob job, CancellationToken cancellationToken = default) =>
        (await ReadAsync(
            "SELECT 1 FROM outbox WHERE ordering_key = @k AND id > @id AND state = 0 AND due_at <= @now LIMIT 1",
            r => true,
            cancellationToken,
            ("@k", job.OrderingKey),
            ("@id", job.Id),
            ("@now", Dialect.Time(_time.GetUtcNow())))).Count > 0;

    public async Task<DateTimeOffset?> NextDueAtAsync(IReadOnlyCollection<Core.Effects.JobLane>? lanes = null, CancellationToken cancellationToken = default)
    {
        var wanted = lanes ?? Core.Effects.JobsWanted.Lanes;
        if (wanted.Count == 0)
        {
            return null;
        }

        var set = 0;
        foreach (var lane in wanted)
        {
            set |= 1 << (int)lane;
        }

        return (await ReadAsync(NextDueOf[set] ??= NextDueStatement(set), r => TimeOrNull(r, 0), cancellationToken)).Min();
    }

    /// <summary>The statement of <see cref="NextDueAtAsync"/> for each set of lanes (a bit a lane), written once each.</summary>
    private static readonly string?[] NextDueOf = new string?[1 << Core.Effects.JobsWanted.Lanes.Count];

    // The claim's own rule: a job waiting behind an earlier one of its ordering key is not next. Each lane's earliest from
    // its own range of ix_outbox_waiting, in one statement; the earliest of them is the caller's.
    private static string NextDueStatement(int lanes) => string.Join(" UNION ALL ", Enumerable.Range(0, Core.Effects.JobsWanted.Lanes.Count)
        .Where(lane => (lanes & (1 << lane)) != 0)
        .Select(lane => $"SELECT * FROM (SELECT o.due_at FROM outbox o WHERE o.state = 0 AND o.lane = {lane} AND {NotBlocked} ORDER BY o.due_at LIMIT 1) l{lane}"));

    public async Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var incidents = await ReadAsync(
            "SELECT severity, status, COUNT(*) FROM incidents GROUP BY severity, status",
            r => new IncidentCount((Severity)r.GetInt32(0), IncidentStatusText.Parse(r.GetString(1)) ?? IncidentStatus.Triggered, r.GetInt64(2)),
            cancellationToken);
        var jobs = await ReadAsync(
            "SELECT kind, state, lane, COUNT(*) FROM outbox WHERE state IN (0, 1, 3) GROUP BY kind, state, lane",
            r => new JobCount(r.GetString(0), r.GetInt32(1) switch { 0 => "pending", 1 => "running", _ => "failed" }, r.GetInt64(3), LaneName(r.GetInt32(2))),
            cancellationToken);
        var now = ("@now", Dialect.Time(_time.GetUtcNow()));
        var oldest = await ReadAsync(OldestDueOfEachLane, r => new LaneDue(LaneName(r.GetInt32(0)), Time(r, 1)), cancellationToken, now);
        var underWay = await ReadAsync(OldestUnderWayOfEachLane, r => new LaneDue(LaneName(r.GetInt32(0)), Time(r, 1)), cancellationToken, now);
        var heartbeats = await ReadAsync(
            "SELECT name, last_beat_at, missed FROM heartbeats",
            r => new HeartbeatStatus(r.GetString(0), Time(r, 1), r.GetInt32(2) != 0),
            cancellationToken);
        return new StoreStats(incidents, jobs, oldest)
        {
            OldestUndoneByLane = [.. oldest.Concat(underWay).GroupBy(l => l.Lane).Select(g => new LaneDue(g.Key, g.Min(l => l.DueAt)))],
            Heartbeats = heartbeats,
        };
    }

    /// <summary>A stored lane's name (a newer version's lane by its number).</summary>
    private static string LaneName(int lane) => Core.Effects.JobLanes.Name((Core.Effects.JobLane)lane);

    /// <summary>Each lane's job due longest ago, from the start of its range of ix_outbox_waiting: a probe a lane, however many wait.</summary>
    private static readonly string OldestDueOfEachLane = string.Join(" UNION ALL ", SqlDialect.LanesByNumber.Select(lane => (int)lane)
        .Select(lane => $"SELECT * FROM (SELECT o.lane, o.due_at FROM outbox o WHERE o.state = 0 AND o.lane = {lane} AND o.due_at <= @now ORDER BY o.due_at LIMIT 1) l{lane}"));

    /// <summary>
    /// Each lane's job tried before and not done, by when it first fell due (ix_outbox_retried, of those few), and its job
    /// claimed or running that fell due longest ago (the claimed are few: a batch a lane a replica); with
    /// <see cref="OldestDueOfEachLane"/>, the oldest job not done of each lane.
    /// </summary>
    private static readonly string OldestUnderWayOfEachLane = string.Join(" UNION ALL ", SqlDialect.LanesByNumber.Select(lane => (int)lane)
        .Select(lane =>
            $"SELECT * FROM (SELECT o.lane, o.first_due_at FROM outbox o WHERE o.state IN (0, 1) AND o.first_due_at IS NOT NULL AND o.lane = {lane} ORDER BY o.first_due_at LIMIT 1) r{lane} " +
            $"UNION ALL SELECT * FROM (SELECT o.lane, o.due_at FROM outbox o WHERE o.state = 1 AND o.lane = {lane} AND o.due_at <= @now ORDER BY o.due_at LIMIT 1) c{lane}"));

    /// <summary>
    /// Reads, then commits a write through the writer, as a person's unit (ahead of a storm's queue): a store that reads
    /// but cannot write (a full disk, a read-only file system, a database failed over to a standby) is not ready.
    /// </summary>
    public async Task CheckAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfWriterStopped();
        if (_lastFailedCommit is { } failed && _time.GetUtcNow() - failed.At < _failedCommitHold)
        {
            throw new StoreUnavailableException($"A commit failed {(_time.GetUtcNow() - failed.At).TotalSeconds:0} s ago: {failed.Message}");
        }

        await ReadAsync("SELECT version FROM schema_migrations LIMIT 1", r => r.GetInt64(0), cancellationToken);
        await WriteInteractiveAsync(
            session =>
            {
                ((SqlSession)session).RecordProbe();
                return true;
            },
            cancellationToken);
    }

    /// <summary>Stops the writers once their queues are done; later calls do nothing (the host holds the store under several names).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await DisposeCoreAsync();
        GC.SuppressFinalize(this);
    }

    private protected virtual async ValueTask DisposeCoreAsync()
    {
        _interactive.Writer.TryComplete();
        _queue.Writer.TryComplete();
        foreach (var queue in _affine)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_writers);
        Flusher?.Dispose(); // after the writers: the last batches' callers are answered once flushed
    }

    /// <summary>A connection for the writer (set up for writing); called again after a failure dropped the last one.</summary>
    private protected abstract DbConnection OpenWriterConnection();

    /// <summary>An open connection for one read.</summary>
    private protected abstract ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A read or a commit failed. A server engine whose connections die together (a restart, a failover) makes its other
    /// connections reconnect here (<see cref="ReconnectWriters"/>, its pool emptied), so that one failure is seen, not
    /// one per connection. A file engine has nothing to do.
    /// </summary>
    private protected virtual void ConnectionsLost()
    {
    }

    /// <summary>Whether a person's unit of work is queued (it goes before any other).</summary>
    private protected bool PersonWaits => _interactive.Reader.TryPeek(out _);

    /// <summary><see cref="PersonWaits"/> as a check to hand to what a writer waits on, made once.</summary>
    private protected Func<bool> PersonWaitsCheck { get; }

    /// <summary>Every writer opens a new connection before its next batch.</summary>
    private protected void ReconnectWriters() => Interlocked.Increment(ref _generation);

    /// <summary>Called by the writer between batches (SQLite merges its alerts' keys and rewinds its log here).</summary>
    private protected virtual void AfterBatch(DbConnection connection, SqlSession session)
    {
    }

    /// <summary>Where the engine keeps the alerts' key apart from their rows (SQLite), the keys written lately; null otherwise.</summary>
    private protected virtual IAlertKeys? AlertKeys => null;

    /// <summary>
    /// Starts <paramref name="count"/> writer threads, the first on <paramref name="connection"/> when one is already
    /// open. One for SQLite (one writer per file); several for PostgreSQL, whose row locks keep them apart and whose
    /// group commit lets their commits share a flush.
    /// </summary>
    private protected void StartWriters(int count, DbConnection? connection, string name)
    {
        // Webhooks go by group to their writer's own queue wherever other writers may lock the same incidents (PostgreSQL,
        // whatever the number of writers: batches by group keep the key order every replica locks in, and without its
        // own queue a webhook was a transaction of its own). SQLite's one writer batches its one queue.
        var byGroup = !Dialect.OnlyWriter;
        if (byGroup)
        {
            _affine = [.. Enumerable.Range(0, count).Select(_ => Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Math.Max(64, _queueCapacity / count))
            {
                FullMode = BoundedChannelFullMode.Wait,
            }))];
        }

        for (var i = 0; i < count; i++)
        {
            var writer = new Writer { Connection = i == 0 ? connection : null, Affine = byGroup ? _affine[i] : null };
            _writers.Add(OwnThread.Start(count == 1 ? name : $"{name}-{i + 1}", () => WriteLoop(writer)));
        }
    }

    private void ThrowIfWriterStopped()
    {
        if (_writerFault is { } fault)
        {
            throw new StoreUnavailableException($"The store's writer stopped: {fault.Message}", fault);
        }
    }

    private async Task<T> EnqueueAsync<T>(
        Channel<WorkItem> queue, Func<IStoreSession, T> work, CancellationToken cancellationToken, Affinity? affinity = null, Action? queued = null)
    {
        ThrowIfWriterStopped();
        using var activity = BotTelemetry.Activities.StartActivity("store.write"); // waiting for the writer, and the commit
        var item = new WorkItem<T>(work) { Affinity = affinity, TraceParent = Activity.Current?.Id };
        try
        {
            await queue.Writer.WriteAsync(item, cancellationToken);
            queued?.Invoke();
        }
        catch (ChannelClosedException e)
        {
            throw new StoreUnavailableException("The store is shut down.", e);
        }

        return await item.Task;
    }

    private async Task<IReadOnlyList<T>> ReadAsync<T>(
        string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] args)
    {
        try
        {
            await using var connection = await OpenReadConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            var statement = Dialect.Statement(sql);
            command.CommandText = statement.Text;
            statement.Bind(command, args); // a filter may leave some out: numbered, they are not bound; named, the provider ignores them

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }

            return rows;
        }
        catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException or IOException)
        {
            ConnectionsLost();
            throw new StoreUnavailableException($"The store could not be read: {e.Message}", e);
        }
    }

    /// <summary>The writer: a thread of its own, so that it never queues behind request handlers for a pool thread.</summary>
    private void WriteLoop(Writer writer)
    {
        var batch = new List<WorkItem>(_maxBatch);
        var carried = new List<WorkItem>(); // queued work taken but not run: a person's work cut its batch short
        try
        {
            while (carried.Count > 0 || WaitForWork(writer))
            {
                Flusher?.BeforeNextBatch(writer.TicketBefore, PersonWaitsCheck);

                // People first, and alone: a batch of interactive work (a slash command, a button) carries no webhooks,
                // and it cuts a running batch of webhooks short (see RunBatchOnce), so a person waits for one unit of a
                // storm and a short commit of their own, not for the storm's batches.
                while (batch.Count < _maxBatch && _interactive.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                var forPeople = batch.Count > 0;
                if (!forPeople && carried.Count > 0)
                {
                    batch.AddRange(carried); // alone: they were sorted for a batch of their own
                    carried.Clear();
                }
                else if (!forPeople)
                {
                    TakeWork(writer, batch);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                var handled = RunBatch(writer, batch, yieldToPeople: !forPeople);
                carried.AddRange(batch.Skip(handled));
                var sharedTurn = !forPeople && writer.Affine is not null && !writer.LastWasAffine;
                batch.Clear();
                if (sharedTurn)
                {
                    RunSharedTurn(writer, batch);
                }
            }
        }
        catch (Exception e)
        {
            _writerFault = e;
            Log.LogCritical(e, "The store's writer stopped");
            _queue.Writer.TryComplete(e);
            _interactive.Writer.TryComplete(e);
            foreach (var queue in _affine)
            {
                queue.Writer.TryComplete(e);
            }

            foreach (var item in batch.Concat(carried))
            {
                item.Abandoned(new StoreUnavailableException("The store's writer stopped.", e));
            }
        }
        finally
        {
            writer.Drop();
        }
    }

    /// <summary>
    /// Fills a batch from the shared queue or the writer's own (the groups it runs), taking turns: of its own, as much as
    /// is queued (up to <see cref="MaxAffineBatch"/>), sorted by group (stably: a group's webhooks keep their order).
    /// </summary>
    private void TakeWork(Writer writer, List<WorkItem> batch)
    {
        var affine = writer.Affine?.Reader;
        var ownFirst = affine is not null && (!writer.LastWasAffine || !_queue.Reader.TryPeek(out _));
        if (ownFirst && affine!.TryPeek(out _))
        {
            while (batch.Count < MaxAffineBatch && affine.TryRead(out var item))
            {
                batch.Add(item);
            }

            var sorted = batch.Select((item, i) => (item, i)).OrderBy(x => x.item.Affinity?.Group, StringComparer.Ordinal).ThenBy(x => x.i).Select(x => x.item).ToList();
            batch.Clear();
            batch.AddRange(sorted);
            writer.LastWasAffine = true;
            return;
        }

        while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var shared))
        {
            batch.Add(shared);
        }

        writer.LastWasAffine = false;
        if (batch.Count == 0 && affine is not null && affine.TryPeek(out _))
        {
            TakeWork(writer, batch); // the shared queue is empty: its own, then
        }
    }

    /// <summary>
    /// The rest of a writer's turn at the shared queue on PostgreSQL, where units of no alert group (jobs' claims, their
    /// handlers' writes and completions, the API's writes) commit at most <see cref="StorageOptions.MaxBatch"/> a
    /// transaction (by default one): the units queued now, in as many transactions as they take, up to
    /// <see cref="MaxAffineBatch"/> more, until a person's unit arrives. One transaction a turn, each unit waited behind a
    /// whole batch of webhooks: with one writer and a flood of them, the jobs' units passed at ~140 a second, and an
    /// escalation's DM waited 30 s at 160 jobs a second (the escalation benchmark). They are bounded by the outbox's
    /// concurrency, so the webhooks wait for a few of them at most.
    /// </summary>
    private void RunSharedTurn(Writer writer, List<WorkItem> batch)
    {
        for (var run = 1; run < MaxAffineBatch && !PersonWaits; run++)
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count == 0)
            {
                return;
            }

            RunBatch(writer, batch, yieldToPeople: false);
            batch.Clear();
        }
    }

    private sealed record FailedCommit(DateTimeOffset At, string Message);

    /// <summary>The most units of one writer's groups that one transaction commits.</summary>
    private const int MaxAffineBatch = 64;

    /// <summary>Blocks the writer thread until a queue it reads has work; false once they are all closed and empty.</summary>
    private bool WaitForWork(Writer writer)
    {
        var readers = writer.Affine is { } own ? new[] { _interactive.Reader, _queue.Reader, own.Reader } : [_interactive.Reader, _queue.Reader];
        while (true)
        {
            if (readers.Any(r => r.TryPeek(out _)))
            {
                return true;
            }

            using var waited = new CancellationTokenSource();
            var open = readers.Where(r => !r.Completion.IsCompleted).Select(r => r.WaitToReadAsync(waited.Token).AsTask()).ToArray();
            if (open.Length == 0)
            {
                return false;
            }

            Task.WaitAny(open);
            waited.Cancel(); // the waits on the queues that stayed empty are taken back: each stayed queued until a write came
        }
    }

    /// <summary>
    /// Where the writers' commits are made durable after them, off their threads (<see cref="CommitFlusher"/>): SQLite with
    /// <c>Synchronous = Full</c>, PostgreSQL where the server lets it. Null where each commit is durable as it returns.
    /// Set before the writers start; stopped after them.
    /// </summary>
    private protected CommitFlusher? Flusher { get; set; }

    /// <summary>The flushes that made commits durable so far (<see cref="CommitFlusher"/>; none where commits flush themselves).</summary>
    internal long Flushes => Flusher?.Flushes ?? 0;

    /// <summary>The writers waiting for a batch of theirs to be made durable before they take their next one (for tests).</summary>
    internal int WritersWaitingForAFlush => Flusher?.Waiters ?? 0;

    /// <summary>
    /// Hands the units of a batch that committed to their callers: at once, or, where a commit is made durable after it,
    /// once the <see cref="Flusher"/> has.
    /// </summary>
    private void Acknowledge(Writer writer, List<WorkItem> committed, bool enqueued)
    {
        if (Flusher is { } flusher)
        {
            (writer.TicketBefore, writer.Ticket) = (writer.Ticket, flusher.After(committed, enqueued));
        }
        else
        {
            Acknowledged(committed, enqueued);
        }
    }

    /// <summary>The units' commit is durable: their callers resume (and the jobs they enqueued are signalled first).</summary>
    private protected void Acknowledged(List<WorkItem> committed, bool enqueued)
    {
        if (enqueued)
        {
            JobsEnqueued?.Invoke(); // before the callers resume: what they enqueued is already on its way
        }

        foreach (var item in committed)
        {
            item.Committed();
        }
    }

    /// <summary>
    /// The units committed, but their commit could not be made durable (the log's flush to disk failed, now or before):
    /// their callers get the store's failure, as for a commit that failed (what they wrote may still be read, and is kept
    /// only if the disk kept it: a caller that retries writes it again, as after any failed commit). Logged once, where
    /// the flush failed: a broken log fails every batch after it.
    /// </summary>
    private protected void NotDurable(List<WorkItem> committed, Exception e)
    {
        _lastFailedCommit = new FailedCommit(_time.GetUtcNow(), e.Message);
        BotTelemetry.CommitFailed(cannotWrite: true);
        var error = new StoreUnavailableException($"The store could not flush its commit to disk: {e.Message}", e);
        foreach (var item in committed)
        {
            item.Abandoned(error);
        }
    }

    /// <summary>Runs the batch, or the start of it (see <see cref="RunBatchOnce"/>); returns how many of its units are done with.</summary>
    private int RunBatch(Writer writer, List<WorkItem> batch, bool yieldToPeople)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                var (ran, enqueued) = RunBatchOnce(writer, batch, yieldToPeople);
                BotTelemetry.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                BotTelemetry.BatchSize.Record(ran);
                Acknowledge(writer, batch.GetRange(0, ran), enqueued);

                if (!PersonWaits)
                {
                    AfterBatch(writer.Connection!, writer.Session!); // not while a person waits: SQLite's log rewind holds the writer up
                }

                return ran;
            }
            catch (DbException e) when (Dialect.IsBatchConflict(e) && attempt < BatchTries)
            {
                Log.LogInformation("A write batch of {Count} units gave way to another writer ({Reason}); running it again", batch.Count, e.Message);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException or IOException)
            {
                Log.LogError(e, "A write batch of {Count} units did not commit", batch.Count);
                writer.Drop(); // a new connection for the next batch: this one may be broken
                ConnectionsLost();
                var cannotWrite = e is DbException db && Dialect.CannotWrite(db);
                if (cannotWrite)
                {
                    _lastFailedCommit = new FailedCommit(_time.GetUtcNow(), e.Message);
                }

                BotTelemetry.CommitFailed(cannotWrite);

                var error = new StoreUnavailableException($"The store could not commit: {e.Message}", e);
                foreach (var item in batch)
                {
                    item.Abandoned(error);
                }

                return batch.Count;
            }
        }
    }

    /// <summary>
    /// Runs and commits the batch; returns how many units ran (all, unless <paramref name="yieldToPeople"/> and a
    /// person's work arrived meanwhile: then the units run so far commit, and the rest wait for the next batch) and
    /// whether they added outbox jobs. Throws when nothing of it was kept.
    /// </summary>
    private (int Ran, bool Enqueued) RunBatchOnce(Writer writer, List<WorkItem> batch, bool yieldToPeople)
    {
        var generation = Volatile.Read(ref _generation);
        if (writer.Generation != generation)
        {
            writer.Drop(); // opened before a connection failure: likely dead too
            writer.Generation = generation;
        }

        var connection = writer.Connection ??= OpenWriterConnection();
        var session = writer.Session ??= new SqlSession(connection, Dialect, HeldFingerprints, PoliciesRun, AlertKeys);
        session.Now = _time.GetUtcNow();
        session.EnqueuedJobs = false;
        return RunUnits(connection, session, batch, batch.Count, yieldToPeople); // a batch of one runs alone there
    }

    /// <summary>
    /// The first <paramref name="count"/> units of the batch in one transaction, without a savepoint a unit (on PostgreSQL
    /// each would be two round trips; on SQLite each unit's first change of a page copied the page to the statement
    /// journal): each unit's writes that answer nothing wait for the next unit's first read or for the commit, and (on
    /// PostgreSQL) a group's first unit reads what its next units look up (<see cref="GroupReadAhead"/>), so a storm's
    /// batch is one read and one commit. When a unit fails (its own error, a race lost to another replica) without the
    /// read-ahead, it is to blame or the unit before it, whose writes went with its reads: the transaction is rolled back,
    /// the units before those two run again (each reading its own rows: with the read-ahead, writes wait longer and could
    /// fail later than their cause) and commit, and the rest wait for the next batch, where a unit that fails first runs
    /// alone (and its own error goes to its caller). A failure of the database itself is thrown, as in any batch.
    /// </summary>
    private (int Ran, bool Enqueued) RunUnits(
        DbConnection connection, SqlSession session, List<WorkItem> batch, int count, bool yieldToPeople, bool readAhead = true)
    {
        if (count == 1)
        {
            return RunAlone(connection, session, batch[0]);
        }

        var ran = 0;
        using (var tx = connection.BeginTransaction())
        {
            session.Transaction = tx;
            session.EnqueuedJobs = false;
            try
            {
                // A group's first unit reads the alerts its next units look up too: they then send no read, and their writes
                // wait for the commit. So a failure may surface units after its cause: the run again below reads unit by unit.
                for (var i = 0; readAhead && i < count; i++)
                {
                    if (batch[i].Affinity is { Alerts.Count: > 0 } affinity)
                    {
                        session.ReadAhead(affinity.Group, affinity.Alerts);
                    }
                }

                if (readAhead)
                {
                    session.ReadGroupsAhead(); // a batch across groups: all of them in one round trip
                }

                while (ran < count)
                {
                    var item = batch[ran];
                    session.BeginUnit(item.TraceParent);
                    item.Run(session, session.EndUnitLater);
                    ran++;
                    if (yieldToPeople && PersonWaits)
                    {
                        break;
                    }
                }

                session.SendWritesAndCommit(); // the last unit's writes, and COMMIT with them
                session.Commit(tx);
                return (ran, session.EnqueuedJobs);
            }
            catch (DbException e) when (!Dialect.IsUnitError(e) && !Dialect.IsUnitConflict(e))
            {
                throw; // the database itself failed: the whole batch is lost (or, for a deadlock, run again)
            }
            catch (Exception)
            {
                // a unit's own: the transaction is rolled back as it is disposed, and the units known good run again below
            }
            finally
            {
                session.Discard();
                session.Transaction = null;
            }
        }

        var good = Math.Max(0, ran - 1); // unit ran failed, or ran - 1's writes did (sent with ran's reads, or at the commit)
        return good == 0
            ? RunAlone(connection, session, batch[0])
            : RunUnits(connection, session, batch, good, yieldToPeople: false, readAhead: false);
    }

    /// <summary>
    /// A batch of one unit (PostgreSQL's writers by default, or a quiet moment): its own transaction, no savepoint, so
    /// two round trips fewer. A lost race runs it again in a new transaction; its own error undoes it.
    /// </summary>
    private (int Ran, bool Enqueued) RunAlone(DbConnection connection, SqlSession session, WorkItem item)
    {
        for (var attempt = 1; ; attempt++)
        {
            session.EnqueuedJobs = false;
            using var tx = connection.BeginTransaction();
            session.Transaction = tx;
            try
            {
                session.BeginUnit(item.TraceParent);
                item.Run(session, session.SendWritesAndCommit); // a refusal of its writes, or of the commit, is the unit's own
                session.Commit(tx);
                return (1, session.EnqueuedJobs);
            }
            catch (DbException e) when (Dialect.IsUnitConflict(e) && attempt < UnitTries)
            {
                // and again: its next reads see what the other writer committed
            }
            catch (DbException e) when (!Dialect.IsUnitError(e) && !Dialect.IsUnitConflict(e))
            {
                throw; // the database itself failed: the unit is lost (or, for a deadlock, run again)
            }
            catch (Exception)
            {
                return (1, false); // the unit's own error, kept in the item for its caller; the transaction is rolled back
            }
            finally
            {
                session.Discard();
                session.Transaction = null;
            }
        }
    }

    /// <summary>One writer's connection and session, opened on first use and dropped after a failure.</summary>
    private sealed class Writer
    {
        public DbConnection? Connection { get; set; }

        public SqlSession? Session { get; set; }

        /// <summary>The queue of the groups this writer runs (PostgreSQL).</summary>
        public Channel<WorkItem>? Affine { get; init; }

        /// <summary>Whether the last batch came from <see cref="Affine"/>: the two queues take turns.</summary>
        public bool LastWasAffine { get; set; }

        /// <summary>The flusher's tickets of this writer's last batch and the one before it (0: none).</summary>
        public long Ticket { get; set; }

        public long TicketBefore { get; set; }

        /// <summary>The store's connection generation when this writer last connected.</summary>
        public int Generation { get; set; }

        public void Drop()
        {
            Session?.Dispose();
            Session = null;
            Connection?.Dispose();
            Connection = null;
        }
    }
}
