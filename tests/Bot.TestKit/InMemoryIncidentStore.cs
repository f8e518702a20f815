using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Store;

namespace Bot.TestKit;

/// <summary>
/// The store in memory, for tests of Core's stages without a database. It keeps the contract of the SQL stores (every
/// test of a stage runs on it and on SQLite and PostgreSQL alike): units of work run one at a time and commit whole or
/// not at all (a unit that throws leaves nothing), reads see what is committed and never share objects with the store,
/// and the outbox claims due jobs one per ordering key, in the order enqueued, with leases.
/// </summary>
public sealed class InMemoryIncidentStore(TimeProvider time, InMemoryIncidentStore.Data? data = null) : IIncidentStore
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Data _shared = data ?? new Data();

    public event Action? JobsEnqueued;

    /// <summary>What the store holds; a store made again over it is the same store after a restart.</summary>
    public Data State => _shared;

    public Task<T> WriteAsync<T>(Func<IStoreSession, T> work, CancellationToken cancellationToken = default) => RunAsync(work, cancellationToken);

    public Task<T> WriteInteractiveAsync<T>(Func<IStoreSession, T> work, CancellationToken cancellationToken = default) => RunAsync(work, cancellationToken);

    public Task<IReadOnlyList<Incident>> ListIncidentsAsync(IncidentQuery query, CancellationToken cancellationToken = default) => Read(d =>
        (IReadOnlyList<Incident>)d.Incidents.Values
            .Where(i => query.Status is { } status ? i.Status == status : !query.OpenOnly || i.IsOpen)
            .Where(i => query.Before is not { } before || i.Number < before)
            .Where(i => query.Severity is not { } severity || i.Severity == severity)
            .Where(i => query.PagedBy is not { } policies || d.Escalations.Keys.Any(k => k.Incident == i.Number && policies.Contains(k.Policy)))
            .Where(i => query.OpenedFrom is not { } from || i.CreatedAt >= from)
            .Where(i => query.OpenedBefore is not { } to || i.CreatedAt < to)
            .Where(i => string.IsNullOrEmpty(query.TitleContains) || i.Title.Contains(query.TitleContains, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(i => i.Number).Take(query.Limit).Select(Copy).ToList());

    public Task<IReadOnlyList<Core.Reports.IncidentFacts>> ListIncidentFactsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<Core.Reports.IncidentFacts>)d.Incidents.Values.Where(i => i.CreatedAt >= from && i.CreatedAt < to).OrderBy(i => i.Number)
            .Select(i => new Core.Reports.IncidentFacts(i.Number, i.Severity, i.CreatedAt, i.AcknowledgedAt, i.ResolvedAt, d.Escalations.Keys.Where(k => k.Incident == i.Number).Select(k => k.Policy).ToList()))
            .ToList());

    public Task<IReadOnlyList<EscalationState>> ListEscalationsAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<EscalationState>)d.Escalations.Values.Where(e => e.Incident == incidentNumber).OrderBy(e => e.Policy, StringComparer.Ordinal).ToList());

    public Task<IReadOnlyList<Core.Escalation.PageUnderWay>> ListPagesUnderWayAsync(long incidentNumber, int limit, CancellationToken cancellationToken = default)
    {
        var (from, to) = Core.Escalation.PageUnderWay.KeyRange(incidentNumber);
        return Read(d => (IReadOnlyList<Core.Escalation.PageUnderWay>)d.Jobs.Values
            .Where(j => j.State is JobState.Waiting or JobState.Claimed && Core.Escalation.PageUnderWay.Kinds.Contains(j.Job.Kind)
                && string.CompareOrdinal(j.Job.Key, from) >= 0 && string.CompareOrdinal(j.Job.Key, to) < 0)
            .OrderBy(j => j.FirstDueAt ?? j.Job.DueAt).ThenBy(j => j.Job.Id).Take(limit)
            .Select(j => new Core.Escalation.PageUnderWay(j.Job.Kind, j.Job.Payload, j.Job.Attempts, j.Job.DueAt, j.FirstDueAt, j.State == JobState.Claimed, j.Error))
            .ToList());
    }

    public Task<IReadOnlyList<Core.Escalation.OverrideOptions>> ListOverridesAsync(string team, DateTimeOffset after, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<Core.Escalation.OverrideOptions>)d.Overrides
            .Where(o => string.Equals(o.Team, team, StringComparison.OrdinalIgnoreCase) && o.Override.To > after).Select(o => o.Override).ToList());

    public Task<IReadOnlyList<string>> ListHostKeysAsync(CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<string>)d.HostKeys.Values.ToList());

    public Task<IReadOnlyList<Core.Reports.PageFact>> ListPagesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<Core.Reports.PageFact>)d.Pages.Values.Where(p => p.At >= from && p.At < to).OrderBy(p => p.At).ToList());

    public Task<Incident?> GetIncidentAsync(long number, CancellationToken cancellationToken = default) =>
        Read(d => d.Incidents.TryGetValue(number, out var i) ? Copy(i) : null);

    public Task<Incident?> FindIncidentByChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        Read(d => d.Incidents.Values.Where(i => i.ChannelId == channelId).OrderByDescending(i => i.Number).Select(Copy).FirstOrDefault());

    public Task<IReadOnlyList<StoredAlert>> GetAlertsAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<StoredAlert>)AlertsOf(d, incidentNumber).ToList());

    public Task<IReadOnlyList<StoredAlert>> ListAlertsAsync(long incidentNumber, AlertQuery query, CancellationToken cancellationToken = default) =>
        Read(d =>
        {
            var alerts = AlertsOf(d, incidentNumber);
            if (query.NewestFirst)
            {
                alerts = alerts.Reverse();
            }

            var after = query.After;
            return (IReadOnlyList<StoredAlert>)alerts.Where(a => after is null || Compare(AlertPosition.Of(a), after) * (query.NewestFirst ? -1 : 1) > 0).Take(query.Limit).ToList();
        });

    public Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<TimelineEntry>)TimelineOf(d, incidentNumber, _ => true));

    public Task<IReadOnlyList<TimelineEntry>> ListTimelineAsync(long incidentNumber, TimelineQuery query, CancellationToken cancellationToken = default) =>
        Read(d =>
        {
            IEnumerable<TimelineEntry> entries = TimelineOf(d, incidentNumber, e => query.Kinds is null || query.Kinds.Contains(e.Kind));
            if (query.NewestFirst)
            {
                entries = entries.Reverse();
            }

            var after = query.After;
            return (IReadOnlyList<TimelineEntry>)entries
                .Where(e => after is null || (e.At.CompareTo(after.At) is var c && c != 0 ? c : e.Id.CompareTo(after.Id)) * (query.NewestFirst ? -1 : 1) > 0)
                .Take(query.Limit).ToList();
        });

    public Task<TimelineExcerpt> GetSourceActivityAsync(
        long incidentNumber, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken = default) =>
        Read(d =>
        {
            var entries = TimelineOf(d, incidentNumber, e => e.RecordedAt >= from && e.RecordedAt < to && e.Author.Id.StartsWith("source:", StringComparison.Ordinal));
            var first = entries.OrderBy(e => e.RecordedAt).ThenBy(e => e.Id).Take(limit).OrderBy(e => e.At).ThenBy(e => e.Id).ToList();
            return new TimelineExcerpt(first, entries.Count);
        });

    public Task<IReadOnlyList<IncidentTask>> GetTasksAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        Read(d => (IReadOnlyList<IncidentTask>)d.Tasks.Where(t => t.Incident == incidentNumber).Select(t => t.Task).OrderBy(t => t.Number).ToList());

    public Task<string?> GetChannelTopicAsync(long incidentNumber, CancellationToken cancellationToken = default) =>
        Read(d => d.ChannelTopics.GetValueOrDefault(incidentNumber));

    public Task<bool> LaterJobIsDueAsync(EffectJob job, CancellationToken cancellationToken = default) =>
        Read(d => d.Jobs.Values.Any(j => j.Job.OrderingKey == job.OrderingKey && j.Job.Id > job.Id && j.State == JobState.Waiting && j.Job.DueAt <= time.GetUtcNow()));

    public Task<DateTimeOffset?> NextDueAtAsync(IReadOnlyCollection<JobLane>? lanes = null, CancellationToken cancellationToken = default) =>
        Read(d => d.Jobs.Values.Where(j => j.State == JobState.Waiting && (lanes is null || lanes.Contains(j.Job.Lane)) && !Blocked(d, j)).Select(j => (DateTimeOffset?)j.Job.DueAt).Min());

    public Task<Core.Incidents.StoreStats> GetStatsAsync(CancellationToken cancellationToken = default) => Read(d => new Core.Incidents.StoreStats(
        d.Incidents.Values.GroupBy(i => (i.Severity, i.Status)).Select(g => new Core.Incidents.IncidentCount(g.Key.Severity, g.Key.Status, g.Count())).ToList(),
        d.Jobs.Values.Where(j => j.State != JobState.Done)
            .GroupBy(j => (j.Job.Kind, State: j.State switch { JobState.Waiting => "pending", JobState.Claimed => "running", _ => "failed" }, j.Job.Lane))
            .Select(g => new Core.Incidents.JobCount(g.Key.Kind, g.Key.State, g.Count(), g.Key.Lane.Name())).ToList(),
        [.. d.Jobs.Values.Where(j => j.State == JobState.Waiting && j.Job.DueAt <= time.GetUtcNow())
            .GroupBy(j => j.Job.Lane).OrderBy(g => (int)g.Key).Select(g => new Core.Incidents.LaneDue(g.Key.Name(), g.Min(j => j.Job.DueAt)))])
    {
        OldestUndoneByLane = [.. d.Jobs.Values
            .Where(j => j.State is JobState.Waiting or JobState.Claimed && (j.FirstDueAt is not null || j.Job.DueAt <= time.GetUtcNow()))
            .GroupBy(j => j.Job.Lane).OrderBy(g => (int)g.Key).Select(g => new Core.Incidents.LaneDue(g.Key.Name(), g.Min(j => j.FirstDueAt ?? j.Job.DueAt)))],
        Heartbeats = d.Heartbeats.Values.Select(h => new Core.Incidents.HeartbeatStatus(h.Name, h.LastBeatAt, h.Missed)).ToList(),
    });

    public Task CheckAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private static IEnumerable<StoredAlert> AlertsOf(Data d, long incident) =>
        d.Alerts.Values.Where(a => a.Stored.IncidentNumber == incident).OrderBy(a => a.Stored.FirstSeenAt).ThenBy(a => a.Stored.Alert.StartsAt)
            .ThenBy(a => a.Stored.Alert.Fingerprint, StringComparer.Ordinal).Select(a => a.Stored);

    private static List<TimelineEntry> TimelineOf(Data d, long incident, Func<TimelineEntry, bool> which) =>
        d.Timeline.Where(e => e.Incident == incident && which(e.Entry)).OrderBy(e => e.Entry.At).ThenBy(e => e.Id).Select(e => e.Entry with { Id = e.Id }).ToList();

    private static int Compare(AlertPosition a, AlertPosition b) =>
        a.FirstSeenAt.CompareTo(b.FirstSeenAt) is var c and not 0 ? c
        : a.StartsAt.CompareTo(b.StartsAt) is var d and not 0 ? d
        : string.CompareOrdinal(a.Fingerprint, b.Fingerprint);

    private static bool Blocked(Data d, JobRow job) =>
        d.Jobs.Values.Any(p => p.Job.OrderingKey == job.Job.OrderingKey && p.Job.Id < job.Job.Id && p.State is JobState.Waiting or JobState.Claimed);

    private Task<T> Read<T>(Func<Data, T> read)
    {
        lock (_shared)
        {
            return Task.FromResult(read(_shared));
        }
    }

    private async Task<T> RunAsync<T>(Func<IStoreSession, T> work, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        bool enqueued;
        T result;
        try
        {
            Data working;
            lock (_shared)
            {
                working = _shared.Clone();
            }

            var session = new Session(working, time.GetUtcNow());
            result = work(session); // an exception leaves the shared state as it was
            lock (_shared)
            {
                _shared.Replace(working);
            }

            enqueued = session.EnqueuedJobs;
        }
        finally
        {
            _writer.Release();
        }

        if (enqueued)
        {
            JobsEnqueued?.Invoke();
        }

        return result;
    }

    /// <summary>An incident as the store would read it back: a new object, with nothing shared with the stored one.</summary>
    private static Incident Copy(Incident i) =>
        Incident.Restore(i.Number, i.Title, i.Severity, i.Status, i.Source, i.GroupKey, i.CreatedAt, i.AcknowledgedAt, i.MitigatedAt, i.ResolvedAt, i.UpdatedAt, i.ChannelId, i.ChannelName)
            .WithResponse(i.Lead, i.Roles, i.Progress, i.Impact, i.Cause, i.Resolution, i.LastUpdateAt, i.SummaryMessageId)
            .WithAlerts(i.AlertCount, i.FiringCount, i.Runbooks, i.FirstAlertAt);

    public enum JobState
    {
        Waiting,
        Claimed,
        Done,
        Failed,
    }

    public sealed record AlertRow(StoredAlert Stored, string GroupKey);

    public sealed record TimelineRow(long Incident, long Id, TimelineEntry Entry);

    public sealed record TaskRow(long Incident, IncidentTask Task);

    /// <param name="FirstDueAt">When a job tried again first fell due (set by its first retry).</param>
    public sealed record JobRow(EffectJob Job, JobState State, DateTimeOffset? LeaseUntil, DateTimeOffset? CompletedAt, string? Error, DateTimeOffset? FirstDueAt = null);

    /// <summary>The store's tables. Rows are immutable records, and incidents are copied in and out, so a clone is cheap and safe.</summary>
    public sealed class Data
    {
        public Dictionary<long, Incident> Incidents { get; private set; } = [];

        public Dictionary<(long Incident, string Fingerprint), AlertRow> Alerts { get; private set; } = [];

        public List<TimelineRow> Timeline { get; private set; } = [];

        public List<TaskRow> Tasks { get; private set; } = [];

        public Dictionary<(long Incident, string Policy), EscalationState> Escalations { get; private set; } = [];

        public Dictionary<long, JobRow> Jobs { get; private set; } = [];

        public Dictionary<string, Core.Heartbeats.HeartbeatState> Heartbeats { get; private set; } = [];

        public HashSet<string> UsedAckLinks { get; private set; } = [];

        public Dictionary<string, Core.Escalation.StoredRules> NotificationRules { get; private set; } = [];

        public Dictionary<string, long> Turns { get; private set; } = [];

        public Dictionary<long, string> ChannelTopics { get; private set; } = [];

        public List<(string Team, Core.Escalation.OverrideOptions Override)> Overrides { get; private set; } = [];

        public Dictionary<(string StepKey, string User), Core.Reports.PageFact> Pages { get; private set; } = [];

        public SortedDictionary<string, string> HostKeys { get; private set; } = new(StringComparer.Ordinal);

        public long LastIncident { get; set; }

        public long LastTimelineId { get; set; }

        public long LastJobId { get; set; }

        public Data Clone() => new()
        {
            Incidents = Incidents.ToDictionary(kv => kv.Key, kv => Copy(kv.Value)),
            Alerts = new(Alerts),
            Timeline = [.. Timeline],
            Tasks = [.. Tasks],
            Heartbeats = new(Heartbeats),
            UsedAckLinks = [.. UsedAckLinks],
            NotificationRules = new(NotificationRules),
            Turns = new(Turns),
            ChannelTopics = new(ChannelTopics),
            Overrides = [.. Overrides],
            Pages = new(Pages),
            HostKeys = new(HostKeys, StringComparer.Ordinal),
            Escalations = new(Escalations),
            Jobs = new(Jobs),
            LastIncident = LastIncident,
            LastTimelineId = LastTimelineId,
            LastJobId = LastJobId,
        };

        public void Replace(Data committed)
        {
            (Incidents, Alerts, Timeline, Tasks, Escalations, Jobs) = (committed.Incidents, committed.Alerts, committed.Timeline, committed.Tasks, committed.Escalations, committed.Jobs);
            Heartbeats = committed.Heartbeats;
            UsedAckLinks = committed.UsedAckLinks;
            NotificationRules = committed.NotificationRules;
            Turns = committed.Turns;
            ChannelTopics = committed.ChannelTopics;
            Overrides = committed.Overrides;
            Pages = committed.Pages;
            HostKeys = committed.HostKeys;
            (LastIncident, LastTimelineId, LastJobId) = (committed.LastIncident, committed.LastTimelineId, committed.LastJobId);
        }
    }

    /// <summary>A unit of work on a copy of the tables, committed by replacing them.</summary>
    private sealed class Session(Data d, DateTimeOffset now) : IStoreSession
    {
        public DateTimeOffset Now => now;

        public bool EnqueuedJobs { get; private set; }

        public (Incident? Incident, Dictionary<string, KnownAlert> Alerts) FindOpenIncident(string groupKey, IReadOnlySet<string> fingerprints)
        {
            var open = d.Incidents.Values.Where(i => i.IsOpen && i.GroupKey == groupKey).Select(Copy).FirstOrDefault();
            return (open, open is null ? new Dictionary<string, KnownAlert>(StringComparer.Ordinal) : FindAlerts(open.Number, fingerprints));
        }

        public Incident? GetIncident(long number) => d.Incidents.TryGetValue(number, out var i) ? Copy(i) : null;

        public void InsertIncident(Incident incident)
        {
            if (incident.IsOpen && d.Incidents.Values.Any(i => i.IsOpen && i.GroupKey == incident.GroupKey))
            {
                throw new InvalidOperationException($"An incident of group {incident.GroupKey} is open already (the SQL stores' unique open_group_key).");
            }

            incident.AssignNumber(++d.LastIncident);
            d.Incidents[incident.Number] = Copy(incident);
        }

        public void UpdateIncident(Incident incident) => d.Incidents[incident.Number] = Copy(incident);

        private Dictionary<string, KnownAlert> FindAlerts(long incidentNumber, IReadOnlyCollection<string> fingerprints) =>
            fingerprints.Distinct().Select(f => d.Alerts.TryGetValue((incidentNumber, f), out var row) ? row.Stored : null).OfType<StoredAlert>()
                .ToDictionary(a => a.Alert.Fingerprint, Known, StringComparer.Ordinal);

        public KnownAlert? FindLatestAlert(string groupKey, string fingerprint) =>
            d.Alerts.Values.Where(a => a.Stored.Alert.Fingerprint == fingerprint && d.Incidents[a.Stored.IncidentNumber].GroupKey == groupKey)
                .OrderByDescending(a => a.Stored.IncidentNumber).Select(a => (KnownAlert?)Known(a.Stored)).FirstOrDefault();

        private static KnownAlert Known(StoredAlert a) => new(a.IncidentNumber, a.Alert.Status, a.Alert.StartsAt);

        public void UpsertAlert(long incidentNumber, string groupKey, Alert alert, bool isNew)
        {
            var held = d.Alerts.TryGetValue((incidentNumber, alert.Fingerprint), out var known);
            if (isNew && held)
            {
                throw new InvalidOperationException($"Incident {incidentNumber} already holds alert {alert.Fingerprint}, written as new."); // as the SQL stores' key
            }

            var firstSeen = held ? known!.Stored.FirstSeenAt : now;
            d.Alerts[(incidentNumber, alert.Fingerprint)] = new AlertRow(new StoredAlert(incidentNumber, alert, firstSeen, now), groupKey);
        }

        public void AppendTimeline(long incidentNumber, TimelineEntry entry) =>
            d.Timeline.Add(new TimelineRow(incidentNumber, ++d.LastTimelineId, entry with { RecordedAt = now }));

        public bool AppendTimelineOnce(long incidentNumber, TimelineEntry entry)
        {
            if (d.Timeline.Any(e => e.Incident == incidentNumber && e.Entry.At == entry.At && e.Entry.Author.Id == entry.Author.Id && e.Entry.Text == entry.Text))
            {
                return false;
            }

            AppendTimeline(incidentNumber, entry);
            return true;
        }

        public void SaveChannelTopic(long incidentNumber, string topic) => d.ChannelTopics[incidentNumber] = topic;

        public bool AppendPageEntryOnce(long incidentNumber, TimelineEntry entry)
        {
            if (entry.Kind != TimelineKind.Page)
            {
                throw new ArgumentException($"A {entry.Kind} entry is not a page's.", nameof(entry));
            }

            if (d.Timeline.Any(e => e.Incident == incidentNumber && e.Entry.Kind == TimelineKind.Page && e.Entry.Author.Id == entry.Author.Id && e.Entry.Text == entry.Text))
            {
                return false;
            }

            AppendTimeline(incidentNumber, entry);
            return true;
        }

        public IncidentTask AddTask(long incidentNumber, IncidentTask task)
        {
            var number = d.Tasks.Where(t => t.Incident == incidentNumber).Select(t => t.Task.Number).DefaultIfEmpty(0).Max() + 1;
            var stored = task with { Number = number, Url = null, State = null };
            d.Tasks.Add(new TaskRow(incidentNumber, stored));
            return stored;
        }

        public void UpdateTask(long incidentNumber, int taskNumber, string url, string state)
        {
            var i = d.Tasks.FindIndex(t => t.Incident == incidentNumber && t.Task.Number == taskNumber);
            if (i >= 0)
            {
                d.Tasks[i] = d.Tasks[i] with { Task = d.Tasks[i].Task with { Url = url, State = state } };
            }
        }

        public IReadOnlyList<EscalationState> GetEscalations(long incidentNumber) =>
            d.Escalations.Values.Where(e => e.Incident == incidentNumber).OrderBy(e => e.Policy, StringComparer.Ordinal).ToList();

        public Core.Heartbeats.HeartbeatState? GetHeartbeat(string name) => d.Heartbeats.GetValueOrDefault(name);

        public bool UseAckLink(string linkHash) => d.UsedAckLinks.Add(linkHash);

        public int CountAlertsSince(long incidentNumber, DateTimeOffset since) =>
            d.Alerts.Values.Count(a => a.Stored.IncidentNumber == incidentNumber && a.Stored.FirstSeenAt >= since);

        public IReadOnlyList<Core.Escalation.OverrideOptions> GetOverrides(string team, DateTimeOffset after) =>
            d.Overrides.Where(o => string.Equals(o.Team, team, StringComparison.OrdinalIgnoreCase) && o.Override.To > after).Select(o => o.Override).ToList();

        public void AddOverride(string team, Core.Escalation.OverrideOptions over) => d.Overrides.Add((team.ToLowerInvariant(), over));

        public void AddHostKey(string name, string document) => d.HostKeys.TryAdd(name, document);

        public void RecordPage(string stepKey, string user, long incidentNumber, string policy, DateTimeOffset at) =>
            d.Pages.TryAdd((stepKey, user), new Core.Reports.PageFact(user, incidentNumber, policy, at));

        public long TakeTurn(string key) => d.Turns[key] = d.Turns.GetValueOrDefault(key) + 1;

        public Core.Escalation.StoredRules? GetNotificationRules(string user) => d.NotificationRules.GetValueOrDefault(user);

        public void SaveNotificationRules(string user, Core.Escalation.StoredRules? rules)
        {
            if (rules is null)
            {
                d.NotificationRules.Remove(user);
            }
            else
            {
                d.NotificationRules[user] = rules;
            }
        }

        public void SaveHeartbeat(Core.Heartbeats.HeartbeatState state) => d.Heartbeats[state.Name] = state;

        public void SaveEscalation(EscalationState escalation) =>
            d.Escalations[(escalation.Incident, escalation.Policy)] = escalation with { Paged = [.. escalation.Paged], UpdatedAt = now };

        public bool RescheduleJob(string key, DateTimeOffset dueAt)
        {
            var row = d.Jobs.Values.FirstOrDefault(j => j.Job.Key == key && j.State == JobState.Waiting);
            if (row is null)
            {
                return false;
            }

            d.Jobs[row.Job.Id] = row with { Job = row.Job with { DueAt = dueAt } };
            EnqueuedJobs = true;
            return true;
        }

        public void Enqueue(EffectJob job)
        {
            if (d.Jobs.Values.Any(j => j.Job.Key == job.Key))
            {
                return;
            }

            var id = ++d.LastJobId;
            d.Jobs[id] = new JobRow(job with { Id = id, Attempts = 0, Claims = 0, CreatedAt = now, TraceParent = System.Diagnostics.Activity.Current?.Id }, JobState.Waiting, null, null, null);
            EnqueuedJobs = true;
        }

        public IReadOnlyList<EffectJob> ClaimDueJobs(JobsWanted wanted, TimeSpan lease)
        {
            var due = d.Jobs.Values
                .Where(j => (j.State == JobState.Waiting && j.Job.DueAt <= now) || (j.State == JobState.Claimed && j.LeaseUntil <= now))
                .Where(j => !Blocked(d, j))
                .OrderBy(j => j.Job.DueAt).ThenBy(j => j.Job.Id)
                .GroupBy(j => j.Job.Lane).SelectMany(lane => lane.Take(wanted.Of(lane.Key))).ToList();
            foreach (var j in due)
            {
                d.Jobs[j.Job.Id] = j with { Job = j.Job with { Claims = j.Job.Claims + 1 }, State = JobState.Claimed, LeaseUntil = now + lease };
            }

            var claimed = due.Select(j => d.Jobs[j.Job.Id].Job).ToList();
            claimed.Sort(EffectJob.ClaimOrder);
            return claimed;
        }

        public void CompleteJob(EffectJob claimed) => _ = Set(claimed, j => j with { State = JobState.Done, CompletedAt = now, LeaseUntil = null });

        public void ReleaseJob(EffectJob claimed)
        {
            EnqueuedJobs |= Set(claimed, j => j with { State = JobState.Waiting, LeaseUntil = null, Job = j.Job with { Claims = j.Job.Claims - 1 } });
        }

        public void RetryJob(EffectJob claimed, DateTimeOffset dueAt, string error) =>
            _ = Set(claimed, j => j with { State = JobState.Waiting, LeaseUntil = null, Error = error, FirstDueAt = j.FirstDueAt ?? j.Job.DueAt, Job = j.Job with { Attempts = j.Job.Attempts + 1, DueAt = dueAt } });

        public bool FailJob(EffectJob claimed, string error) =>
            Set(claimed, j => j with { State = JobState.Failed, CompletedAt = now, LeaseUntil = null, Error = error, Job = j.Job with { Attempts = j.Job.Attempts + 1 } });

        public int DeleteDoneJobs(DateTimeOffset before, int max)
        {
            before = OutboxOptions.DeletableBefore(before, now);
            var old = d.Jobs.Values.Where(j => j.State == JobState.Done && j.Job.DueAt < before && j.CompletedAt < before).Take(max).Select(j => j.Job.Id).ToList();
            old.ForEach(id => d.Jobs.Remove(id));
            return old.Count;
        }

        /// <summary>Changes the job while <paramref name="claimed"/> holds it (its claim count unchanged since), as the SQL stores do.</summary>
        private bool Set(EffectJob claimed, Func<JobRow, JobRow> change)
        {
            if (!d.Jobs.TryGetValue(claimed.Id, out var j) || j.State != JobState.Claimed || j.Job.Claims != claimed.Claims)
            {
                return false;
            }

            d.Jobs[claimed.Id] = change(j);
            return true;
        }
    }
}
