using System.Collections.Concurrent;
using System.Data.Common;
using System.Numerics;
using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Store;
using static Bot.Storage.Sql.SqlRows;

namespace Bot.Storage.Sql;

/// <summary>
/// The writer's session: one long-lived connection, commands built once per statement and reused. Used only by the
/// writer loop, inside its open transaction. The SQL is the same on every engine; <see cref="SqlDialect"/> says the rest.
/// Where the dialect batches writes (<see cref="SqlDialect.BatchesWrites"/>), the writes that answer nothing wait in a
/// batch sent before the next read or by <see cref="Flush"/> at the unit's end: a webhook is four round trips to
/// PostgreSQL, not twenty.
/// </summary>
internal sealed class SqlSession(DbConnection connection, SqlDialect dialect, HeldFingerprints? held, PoliciesRun policiesRun, IAlertKeys? keys = null)
    : IStoreSession, IDisposable
{
    private readonly Dictionary<string, (DbCommand Command, SqlStatement Statement)> _commands = new(StringComparer.Ordinal);
    private readonly List<(DbBatchCommand Insert, string Key)> _pendingJobs = [];
    private readonly List<(long Incident, string GroupKey, Alert Alert, bool IsNew)> _pendingAlerts = [];
    private readonly List<(long Incident, TimelineEntry Entry)> _pendingTimeline = []; // where the engine takes arrays
    private readonly Dictionary<long, object[]> _incidentRows = []; // each incident's column values as this unit read or last wrote them
    private readonly OutboxKeys _outboxKeys = new(dialect.KnowsItsOutbox);
    private readonly IDirectStatements? _direct = dialect.DirectStatements(connection);
    private readonly GroupReadAhead? _readAhead = dialect.BatchesWrites ? new() : null; // consulted by the batched read only
    private readonly KnownGroups? _knownGroups = dialect.BatchesWrites ? new() : null; // the groups' incidents as the last commits left them

    // The incident reads of every webhook, their texts made once.
    private readonly string _getIncidentSql = $"SELECT {IncidentColumns} FROM incidents WHERE number = @n{dialect.ForUpdate}";
    // A group's open incident (@g) and its escalations; a batch's groups' (@gs), locked in the order of their keys.
    private readonly string _findOpenIncidentSql = FindOpenIncidents("open_group_key = @g", dialect);
    private readonly string _openIncidentEscalationsSql = SqlRows.EscalationsOfOpenIncidents("open_group_key = @g") + dialect.ForUpdate;
    private readonly string _findOpenIncidentsSql = FindOpenIncidents(dialect.IsOneOf("open_group_key", "@gs"), dialect, withVersion: true);
    private readonly string _openIncidentsEscalationsSql = SqlRows.EscalationsOfOpenIncidents(dialect.IsOneOf("open_group_key", "@gs")) + dialect.ForUpdate;
    private readonly Dictionary<long, Core.Escalation.EscalationState[]>? _escalations = dialect.OnlyWriter ? [] : null; // as the transaction read them
    private bool _asksEscalations; // units ask for their incidents' escalations: a group's read brings them (see Commit)
    private bool _askedEscalations; // a unit of this transaction asked for an incident's escalations
    private bool _escalationsReadAhead; // a group's read of this transaction brought its incident's escalations
    private readonly List<(long Incident, string Policy)> _policiesSeen = []; // policies the transaction saw run: kept once it commits
    private DbBatch? _pending;
    private readonly Dictionary<long, object[]> _waitingTallies = []; // incidents whose tally alone changed since written: their values now
    private bool _commitSent; // COMMIT went with the last writes: the provider's transaction has ended
    private readonly Dictionary<long, (string Group, long Count)> _heldCounts = []; // open incidents written: their alert count as the commit leaves it
    private readonly List<(string Group, long Number)> _heldRelied = []; // groups whose filter the transaction took alerts for new on
    private bool _insertedAlerts; // the transaction inserted alerts: its reads of an incident's fingerprints would see them

    public DateTimeOffset Now { get; set; }

    /// <summary>The writer's own statements on its connection, where the engine has them (SQLite), for its other work between batches.</summary>
    internal IDirectStatements? Direct => _direct;

    public DbTransaction? Transaction { get; set; }

    public bool EnqueuedJobs { get; set; }

    /// <summary>The trace of the unit now running (its caller's), stored with the jobs it enqueues.</summary>
    public string? TraceParent { get; private set; }

    /// <summary>Starts a unit of work: what the session remembers of the last unit's rows is forgotten.</summary>
    public void BeginUnit(string? traceParent)
    {
        TraceParent = traceParent;
        _incidentRows.Clear();
    }

    public Incident? GetIncident(long number) =>
        Remember(QueryOne(_getIncidentSql, Incident, ("@n", number)));

    public void InsertIncident(Incident incident)
    {
        var values = IncidentValues(incident);
        var number = Convert.ToInt64(Scalar(InsertIncidentSql, [.. IncidentFields.Select((f, i) => (f.Parameter, values[i]))]));
        incident.AssignNumber(number);
        _incidentRows[number] = values;
        if (incident.IsOpen)
        {
            _readAhead?.Opened(incident.GroupKey, number, values);
            held?.Opened(incident.GroupKey, number, Now);
            _heldCounts[number] = (incident.GroupKey, incident.AlertCount);
        }
    }

    /// <summary>
    /// Writes the columns that changed since this unit read or last wrote the incident (all of them when it did
    /// neither): a storm's webhook changes its tally and nothing else, and an update that names an indexed column
    /// rewrites that index's entry (SQLite) even when the value is the same. Where the engine takes arrays
    /// (<see cref="SqlDialect.IncidentTallyArrays"/>), a change of the tally alone waits with the writes' rows
    /// (<see cref="WriteWaitingRows"/>), and the batch's incidents' tallies are written by one statement, each as it is
    /// last: a storm's batch of webhooks writes its incident once, not once a webhook (each a row version and its log
    /// record), and a batch across groups one statement, not one an incident. Nothing reads between them (a read sends
    /// the writes waiting first), and the tally's columns have no index or constraint that an earlier write could meet.
    /// </summary>
    public void UpdateIncident(Incident incident)
    {
        var values = IncidentValues(incident);
        var changed = UpdatableColumns;
        if (_incidentRows.TryGetValue(incident.Number, out var before))
        {
            changed = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (!Equals(values[i], before[i]))
                {
                    changed |= 1 << i;
                }
            }

            changed &= UpdatableColumns;
        }

        _incidentRows[incident.Number] = values;
        _readAhead?.Updated(incident.GroupKey, incident.Number, values, incident.IsOpen);
        if (incident.IsOpen)
        {
            _heldCounts[incident.Number] = (incident.GroupKey, incident.AlertCount);
        }
        else
        {
            _heldCounts.Remove(incident.Number);
            held?.Forget(incident.GroupKey, incident.Number);
        }
        if (_waitingTallies.ContainsKey(incident.Number))
        {
            _waitingTallies[incident.Number] = values; // the tally's write, when it goes, writes it as it is now
        }

        if (changed == 0)
        {
            return;
        }

        if (_tallyArraysSql is not null && (changed & ~TallyColumns) == 0)
        {
            _waitingTallies[incident.Number] = values;
            return;
        }

        Write(UpdateIncidentSql.GetOrAdd(changed, UpdateIncidentText), UpdateArguments(changed, values, incident.Number));
        _knownGroups?.Bumped(incident.Number); // the statement raises its version
    }

    private readonly string? _tallyArraysSql = dialect.IncidentTallyArrays;

    /// <summary>The waiting tallies' write (<see cref="SqlDialect.IncidentTallyArrays"/>), the incidents in the order of their numbers.</summary>
    private void WriteWaitingTallies()
    {
        var rows = _waitingTallies.OrderBy(t => t.Key).ToList();
        _waitingTallies.Clear();
        foreach (var (number, _) in rows)
        {
            _knownGroups?.Bumped(number); // the statement raises its version
        }

        Write(
            _tallyArraysSql!,
            ("@n", rows.Select(r => r.Key).ToArray()),
            ("@u", dialect.TimeList([.. rows.Select(r => TimeOrNull(r.Value[UpdatedAtField]))])),
            ("@a", rows.Select(r => (int)r.Value[AlertCountField]).ToArray()),
            ("@f", rows.Select(r => (int)r.Value[FiringCountField]).ToArray()),
            ("@b", rows.Select(r => (string)r.Value[RunbooksField]).ToArray()),
            ("@s", dialect.TimeList([.. rows.Select(r => TimeOrNull(r.Value[FirstAlertField]))])));

        static DateTimeOffset? TimeOrNull(object value) => value is DateTimeOffset time ? time : null;
    }

    /// <summary>The update's parameters: the values of <paramref name="columns"/>, then the incident's number.</summary>
    private static (string, object)[] UpdateArguments(int columns, object[] values, long number)
    {
        var set = new List<(string, object)>(BitOperations.PopCount((uint)columns) + 1);
        for (var i = 0; i < values.Length; i++)
        {
            if ((columns & (1 << i)) != 0)
            {
                set.Add((IncidentFields[i].Parameter, values[i]));
            }
        }

        set.Add(("@n", number));
        return [.. set];
    }

    private Incident? Remember(Incident? incident)
    {
        if (incident is not null)
        {
            _incidentRows[incident.Number] = IncidentValues(incident);
        }

        return incident;
    }

    /// <summary>The incident's columns: each with its parameter and its value (in the dialect's form).</summary>
    private static readonly (string Column, string Parameter, Func<SqlDialect, Incident, object> Value)[] IncidentFields =
    [
        ("title", "@title", (_, i) => i.Title),
        ("severity", "@sev", (_, i) => (int)i.Severity),
        ("status", "@status", (_, i) => i.Status.Name()),
        ("source", "@source", (_, i) => i.Source),
        ("group_key", "@group", (_, i) => i.GroupKey),
        ("open_group_key", "@open", (_, i) => i.IsOpen ? i.GroupKey : DBNull.Value),
        ("created_at", "@created", (d, i) => d.Time(i.CreatedAt)),
        ("acknowledged_at", "@ack", (d, i) => d.Time(i.AcknowledgedAt)),
        ("mitigated_at", "@mit", (d, i) => d.Time(i.MitigatedAt)),
        ("resolved_at", "@res", (d, i) => d.Time(i.ResolvedAt)),
        ("updated_at", "@updated", (d, i) => d.Time(i.UpdatedAt)),
        ("channel_id", "@chid", (_, i) => (object?)i.ChannelId ?? DBNull.Value),
        ("channel_name", "@chname", (_, i) => (object?)i.ChannelName ?? DBNull.Value),
        ("lead_id", "@leadid", (_, i) => (object?)i.Lead?.Id ?? DBNull.Value),
        ("lead_name", "@leadname", (_, i) => (object?)i.Lead?.Name ?? DBNull.Value),
        ("roles", "@roles", (_, i) => RolesJson.Write(i.Roles)),
        ("progress", "@progress", (_, i) => (object?)i.Progress ?? DBNull.Value),
        ("impact", "@impact", (_, i) => (object?)i.Impact ?? DBNull.Value),
        ("cause", "@cause", (_, i) => (object?)i.Cause ?? DBNull.Value),
        ("resolution", "@resolution", (_, i) => (object?)i.Resolution ?? DBNull.Value),
        ("last_update_at", "@lastupdate", (d, i) => d.Time(i.LastUpdateAt)),
        ("summary_message_id", "@summary", (_, i) => (object?)i.SummaryMessageId ?? DBNull.Value),
        ("alert_count", "@alerts", (_, i) => i.AlertCount),
        ("firing_count", "@firing", (_, i) => i.FiringCount),
        ("runbooks", "@runbooks", (_, i) => TextListJson.Write(i.Runbooks)),
        ("first_alert_at", "@firstalert", (d, i) => d.Time(i.FirstAlertAt)),
    ];

    /// <summary>The incident columns' names as <see cref="IncidentColumns"/> lists them, and where each is in <see cref="IncidentFields"/> (-1: the number).</summary>
    private static readonly string[] IncidentColumnNames = IncidentColumns.Split(", ");

    private static readonly int[] IncidentColumnFields =
        [.. IncidentColumnNames.Select(c => c == "number" ? -1 : Array.FindIndex(IncidentFields, f => f.Column == c))];

    /// <summary>An incident from its column values (<see cref="IncidentValues"/>), read as a row of the database is.</summary>
    private static Incident IncidentFrom(long number, object[] values)
    {
        var row = new object[IncidentColumnNames.Length];
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = IncidentColumnFields[i] < 0 ? number : values[IncidentColumnFields[i]];
        }

        return Incident(new RowReader(row, IncidentColumnNames));
    }

    /// <summary>A unit of the batch will look up these alerts of the group: the group's first read reads them too (<see cref="GroupReadAhead"/>).</summary>
    public void ReadAhead(string groupKey, IEnumerable<string> fingerprints) => _readAhead?.Want(groupKey, fingerprints);

    private object[] IncidentValues(Incident incident)
    {
        var values = new object[IncidentFields.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = IncidentFields[i].Value(dialect, incident);
        }

        return values;
    }

    /// <summary>Every column but those an incident never changes (source, group, creation).</summary>
    private static readonly int UpdatableColumns =
        ((1 << IncidentFields.Length) - 1) & ~Bit("source") & ~Bit("group_key") & ~Bit("created_at");

    /// <summary>The incident's tally and its time: no index or constraint names them (<see cref="UpdateIncident"/>).</summary>
    private static readonly int TallyColumns =
        Bit("updated_at") | Bit("alert_count") | Bit("firing_count") | Bit("runbooks") | Bit("first_alert_at");

    private static int Bit(string column) => 1 << Field(column);

    private static int Field(string column) => Array.FindIndex(IncidentFields, f => f.Column == column);

    private static readonly int UpdatedAtField = Field("updated_at");
    private static readonly int AlertCountField = Field("alert_count");
    private static readonly int FiringCountField = Field("firing_count");
    private static readonly int RunbooksField = Field("runbooks");
    private static readonly int FirstAlertField = Field("first_alert_at");

    private static string FindOpenIncidents(string groupsAre, SqlDialect dialect, bool withVersion = false) =>
        $"SELECT {IncidentColumns}{(withVersion ? ", version" : "")} FROM incidents WHERE {groupsAre} ORDER BY open_group_key{dialect.ForUpdate}";

    /// <summary>Where the batched read has the row's version (<see cref="KnownGroups"/>): after the incident's columns.</summary>
    private static readonly int VersionField = IncidentColumns.Split(',').Length;

    /// <summary>The check of a batch's known incidents, first among its writes (<see cref="KnownGroups"/>; schema 33).</summary>
    private const string CheckIncidentVersionsSql = "SELECT check_incident_versions(@ns, @vs)";

    private static readonly string InsertIncidentSql =
        $"""
        INSERT INTO incidents ({string.Join(", ", IncidentFields.Select(f => f.Column))})
        VALUES ({string.Join(", ", IncidentFields.Select(f => f.Parameter))})
        RETURNING number
        """;

    /// <summary>One text per set of changed columns (a handful in practice), so that each is prepared once.</summary>
    private static readonly ConcurrentDictionary<int, string> UpdateIncidentSql = new();

    private static string UpdateIncidentText(int columns) =>
        $"UPDATE incidents SET {string.Join(", ", IncidentFields.Where((_, i) => (columns & (1 << i)) != 0).Select(f => $"{f.Column} = {f.Parameter}"))}, version = version + 1 WHERE number = @n";

    /// <summary>
    /// The group's open incident (locked for the unit where the engine locks rows) with those of these alerts it holds.
    /// Where the dialect batches, both reads are one round trip: the alerts' read finds the incident by the same key,
    /// after the first statement has its lock. Once this session has been asked for an incident's escalations (paging
    /// is set up: a webhook routed to a policy asks whether it ran on its incident), the incident's escalations come in
    /// the same round trip too, kept for the transaction (<see cref="GroupReadAhead"/>).
    /// </summary>
    public (Incident? Incident, Dictionary<string, KnownAlert> Alerts) FindOpenIncident(string groupKey, IReadOnlySet<string> fingerprints)
    {
        var found = new Dictionary<string, KnownAlert>(StringComparer.Ordinal);
        if (!dialect.BatchesWrites || fingerprints.Count == 0)
        {
            var incident = Remember(QueryOne(_findOpenIncidentSql, Incident, ("@g", groupKey)));
            if (incident is not null)
            {
                // In the process (SQLite), a lookup by key per alert costs less than reading a list parameter.
                foreach (var fingerprint in fingerprints)
                {
                    if (FindAlert(incident.Number, fingerprint) is { } one)
                    {
                        found[fingerprint] = one.Known;
                    }
                }
            }

            return (incident, found);
        }

        // Known to the transaction already: read by an earlier unit of the batch, with the alerts this one looks up.
        if (_readAhead!.TryFind(groupKey, fingerprints, found, out var number, out var values))
        {
            return (values is null ? null : Remember(IncidentFrom(number, values)), found);
        }

        // The writes waiting (the unit before's, in a batch) go first in the same round trip; they answer nothing, so the
        // reader's first result is the incident's.
        var toRead = _readAhead.ToRead(groupKey, fingerprints);
        var (lookups, skipped) = Lookups(groupKey, toRead);
        var withEscalations = EscalationsWithRead();
        GroupRows rows;
        using (var batch = TakeWaitingWrites())
        {
            AddGroupRead(batch, groupKey, lookups, withEscalations);
            using var reader = RunWaitingWrites(batch, static b => b.ExecuteReader());
            rows = ReadGroup(reader, lookups.Count > 0, withEscalations);
        }

        var alerts = rows.Alerts;
        alerts.AddRange(LookUpUnconfirmed([(groupKey, skipped, rows.Open)]).Select(a => (a.Fingerprint, a.Alert)));
        var heldAlerts = KeepGroup(groupKey, toRead, rows.Open, alerts, rows.Escalations);
        RebuildFilters([rows.Open]);
        foreach (var fingerprint in fingerprints)
        {
            if (heldAlerts.TryGetValue(fingerprint, out var alert))
            {
                found[fingerprint] = alert;
            }
        }

        return (rows.Open, found);
    }

    /// <summary>
    /// Before a batch's first unit, where its units look up alerts of several groups none of which the transaction knows
    /// yet (a writer's batch across groups): the groups' open incidents, locked in the order of their keys, with the
    /// alerts their units look up (but those the group's filter says its incident cannot hold: <see cref="HeldFingerprints"/>)
    /// and (once asked) their escalations, in one round trip of three statements whatever the number of groups, not a
    /// read a group as each group's first unit reads. The units then send no read, and their writes go together with the
    /// commit. A filter that the incident's count does not confirm costs a second round trip, for the alerts it skipped.
    /// </summary>
    public void ReadGroupsAhead()
    {
        if (_readAhead?.Unread() is not { Count: > 1 } groups)
        {
            return;
        }

        var withEscalations = EscalationsWithRead();
        var keys = dialect.TextList([.. groups.Select(g => g.Group)]);
        var pairs = new List<(string Group, string Fingerprint)>();
        var skipped = new Dictionary<string, Skipped>(StringComparer.Ordinal);
        foreach (var (group, wanted) in groups)
        {
            var (lookups, skips) = Lookups(group, wanted);
            pairs.AddRange(lookups.Select(f => (group, f)));
            if (skips is { Absent.Count: > 0 })
            {
                skipped[group] = skips;
            }
        }

        var open = new Dictionary<string, Incident>(groups.Count, StringComparer.Ordinal);
        var escalations = new Dictionary<long, List<(long Incident, Core.Escalation.EscalationState State)>>();
        var alerts = groups.ToDictionary(g => g.Group, _ => new List<(string, KnownAlert)>(), StringComparer.Ordinal);
        if (pairs.Count == 0 && _knownGroups?.AllOf([.. groups.Select(g => g.Group)], withEscalations, Now) is { } known)
        {
            // Each group's incident as this writer's last commit left it: checked, not read (KnownGroups), first of the writes.
            foreach (var (group, incident) in known)
            {
                open[group] = Remember(IncidentFrom(incident.Number, incident.Values))!;
                _knownGroups.Checked(group, incident.Number, incident.Version);
                if (withEscalations)
                {
                    escalations[incident.Number] = [.. incident.Escalations!.Select(e => (incident.Number, e))];
                }
            }

            Write(CheckIncidentVersionsSql, ("@ns", known.Select(k => k.Known.Number).ToArray()), ("@vs", known.Select(k => k.Known.Version).ToArray()));
        }
        else
        {
            // Read, locked in the order of their keys: one round trip of three statements whatever the number of groups.
            using (var batch = TakeWaitingWrites())
            {
                Add(batch, _findOpenIncidentsSql, ("@gs", keys));
                if (withEscalations)
                {
                    Add(batch, _openIncidentsEscalationsSql, ("@gs", keys));
                }

                if (pairs.Count > 0)
                {
                    Add(batch, dialect.OpenIncidentsAlerts, AlertsOfGroupsArguments(pairs));
                }

                using var reader = RunWaitingWrites(batch, static b => b.ExecuteReader());
                while (reader.Read())
                {
                    var incident = Incident(reader);
                    Remember(incident);
                    open[incident.GroupKey] = incident;
                    _knownGroups?.Checked(incident.GroupKey, incident.Number, reader.GetInt64(VersionField));
                }

                // Each incident's escalations: the incidents are locked, so the groups' keys name the same ones again here.
                if (withEscalations)
                {
                    reader.NextResult();
                    foreach (var row in EscalationRows(reader))
                    {
                        (escalations.TryGetValue(row.Incident, out var of) ? of : escalations[row.Incident] = []).Add(row);
                    }
                }

                if (pairs.Count > 0)
                {
                    reader.NextResult();
                    Keep(AlertsOfGroups(reader));
                }
            }
        }

        Keep(LookUpUnconfirmed(skipped.Select(s => (s.Key, (Skipped?)s.Value, open.GetValueOrDefault(s.Key)))));
        foreach (var (group, wanted) in groups)
        {
            var incident = open.GetValueOrDefault(group);
            var itsEscalations = withEscalations && incident is not null ? escalations.GetValueOrDefault(incident.Number) ?? [] : null;
            KeepGroup(group, wanted, incident, alerts[group], itsEscalations);
        }

        RebuildFilters(open.Values);

        void Keep(List<(string Group, string Fingerprint, KnownAlert Alert)> rows)
        {
            foreach (var (group, fingerprint, alert) in rows)
            {
                alerts[group].Add((fingerprint, alert));
            }
        }
    }

    /// <summary>Whether a group's read brings its incident's escalations (units ask for them); noted for the commit (see Commit).</summary>
    private bool EscalationsWithRead()
    {
        _escalationsReadAhead |= _asksEscalations;
        return _asksEscalations;
    }

    /// <summary>
    /// Rebuilds the filter of each group just read whose open incident has none (<see cref="HeldFingerprints.MayRebuild"/>)
    /// from the fingerprints it holds, read now, in one round trip: the transaction holds the incidents' locks, so no
    /// writer adds an alert meanwhile, and the counts it read are theirs. Not once the transaction inserted alerts.
    /// </summary>
    private void RebuildFilters(IEnumerable<Incident?> read)
    {
        if (held is null || _insertedAlerts)
        {
            return;
        }

        var rebuilt = read.OfType<Incident>().Where(i => held.MayRebuild(i.GroupKey, i.AlertCount, Now)).ToList();
        if (rebuilt.Count == 0)
        {
            return;
        }

        var fingerprints = rebuilt.ToDictionary(i => i.Number, _ => new List<string>());
        Ask(_incidentsFingerprintsSql, [("@ns", rebuilt.Select(i => i.Number).ToArray())], reader =>
        {
            while (reader.Read())
            {
                fingerprints[reader.GetInt64(0)].Add(reader.GetString(1));
            }

            return fingerprints;
        });

        foreach (var incident in rebuilt)
        {
            held.Rebuilt(incident.GroupKey, incident.Number, incident.AlertCount, fingerprints[incident.Number], Now);
        }
    }

    private readonly string _incidentsFingerprintsSql = $"SELECT incident_number, fingerprint FROM alerts WHERE {dialect.IsOneOf("incident_number", "@ns")}";

    /// <summary>The alerts a group's filter let a read skip, and what the read must find for the skip to stand.</summary>
    private sealed record Skipped(HeldFingerprints.Expected Expected, List<string> Absent);

    /// <summary>
    /// Of the alerts a read wants of a group, those to look up: all of them, but those the group's filter says its open
    /// incident cannot hold (skipped: taken for new, if the read confirms the filter; the transaction then relies on it).
    /// </summary>
    private (IReadOnlySet<string> Lookups, Skipped? Skipped) Lookups(string group, IReadOnlySet<string> wanted)
    {
        if (held?.Expect(group) is not { } expected)
        {
            return (wanted, null);
        }

        var lookups = new HashSet<string>(StringComparer.Ordinal);
        var absent = new List<string>();
        held.Sort(expected, wanted, lookups, absent);
        if (absent.Count > 0)
        {
            Relied(group, expected.Number);
        }

        return (lookups, new Skipped(expected, absent));
    }

    /// <summary>The transaction took alerts of the group for new on its filter's word: should it roll back, the filter goes.</summary>
    private void Relied(string group, long number)
    {
        if (!_heldRelied.Contains((group, number)))
        {
            _heldRelied.Add((group, number));
        }
    }

    /// <summary>
    /// Of the groups just read, those whose read did not confirm the filter that let alerts be skipped (the incident's
    /// count moved: another writer's alerts): each such filter goes, and the alerts it skipped are looked up after all, in
    /// one more statement and round trip for all of them; none when every skip stands.
    /// </summary>
    private List<(string Group, string Fingerprint, KnownAlert Alert)> LookUpUnconfirmed(IEnumerable<(string Group, Skipped? Skipped, Incident? Open)> read)
    {
        var unconfirmed = read
            .Where(r => r.Skipped is { Absent.Count: > 0 } skipped && !HeldFingerprints.Confirms(skipped.Expected, r.Open))
            .Select(r => (r.Group, Skipped: r.Skipped!))
            .ToList();
        if (unconfirmed.Count == 0)
        {
            return [];
        }

        foreach (var (group, skipped) in unconfirmed)
        {
            held?.Moved(group, skipped.Expected.Number, Now);
        }

        List<(string Group, string Fingerprint)> pairs = [.. unconfirmed.SelectMany(u => u.Skipped.Absent.Select(f => (u.Group, f)))];
        return Ask(dialect.OpenIncidentsAlerts, AlertsOfGroupsArguments(pairs), AlertsOfGroups);
    }

    /// <summary>The arguments of <see cref="SqlDialect.OpenIncidentsAlerts"/>: each fingerprint with its group.</summary>
    private (string Name, object Value)[] AlertsOfGroupsArguments(List<(string Group, string Fingerprint)> pairs) =>
        [("@gs", dialect.TextList([.. pairs.Select(p => p.Group)])), ("@fps", dialect.TextList([.. pairs.Select(p => p.Fingerprint)]))];

    /// <summary>The rows of <see cref="SqlDialect.OpenIncidentsAlerts"/>: each alert found, with its group.</summary>
    private static List<(string Group, string Fingerprint, KnownAlert Alert)> AlertsOfGroups(DbDataReader reader)
    {
        var found = new List<(string, string, KnownAlert)>();
        while (reader.Read())
        {
            found.Add((reader.GetString(4), reader.GetString(1), SqlRows.KnownAlert(reader)));
        }

        return found;
    }

    /// <summary>A group's read (<see cref="ReadGroup"/> reads its results): its open incident, locked, then the alerts to look up of it (if any), then its escalations.</summary>
    private void AddGroupRead(DbBatch batch, string group, IReadOnlySet<string> lookups, bool withEscalations)
    {
        Add(batch, _findOpenIncidentSql, ("@g", group));
        if (lookups.Count > 0)
        {
            Add(batch, dialect.OpenIncidentAlerts, ("@g", group), ("@fps", dialect.TextList(lookups)));
        }

        if (withEscalations)
        {
            Add(batch, _openIncidentEscalationsSql, ("@g", group));
        }
    }

    private sealed record GroupRows(Incident? Open, List<(string Fingerprint, KnownAlert Alert)> Alerts, List<(long Incident, Core.Escalation.EscalationState State)>? Escalations);

    /// <summary>Reads a group's results (<see cref="AddGroupRead"/>), the reader standing on its first (the incident's).</summary>
    private GroupRows ReadGroup(DbDataReader reader, bool withAlerts, bool withEscalations)
    {
        var open = reader.Read() ? Remember(Incident(reader)) : null;
        var alerts = new List<(string, KnownAlert)>();
        if (withAlerts)
        {
            reader.NextResult();
            while (reader.Read())
            {
                alerts.Add((reader.GetString(1), SqlRows.KnownAlert(reader)));
            }
        }

        return new GroupRows(open, alerts, withEscalations && reader.NextResult() ? EscalationRows(reader) : null);
    }

    private static List<(long Incident, Core.Escalation.EscalationState State)> EscalationRows(DbDataReader reader)
    {
        var rows = new List<(long, Core.Escalation.EscalationState)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(7), SqlRows.Escalation(reader, reader.GetInt64(7))));
        }

        return rows;
    }

    /// <summary>
    /// Keeps a group's read for the transaction where its parts agree: the group's open incident (read with its lock), the
    /// alerts of <paramref name="read"/> it holds, and its escalations. Returns the alerts of the incident.
    /// </summary>
    private Dictionary<string, KnownAlert> KeepGroup(
        string groupKey, IReadOnlySet<string> read, Incident? open, List<(string Fingerprint, KnownAlert Alert)> alerts,
        List<(long Incident, Core.Escalation.EscalationState State)>? escalations)
    {
        var held = new Dictionary<string, KnownAlert>(StringComparer.Ordinal);
        var consistent = true;
        foreach (var (fingerprint, alert) in alerts)
        {
            // The alerts' statement reads a later snapshot than the incident's: should the group's incident have been
            // closed and another opened meanwhile, its alerts are not this incident's (nor is the read kept for the batch).
            if (alert.IncidentNumber == open?.Number)
            {
                held[fingerprint] = alert;
            }
            else
            {
                consistent = false;
            }
        }

        if (consistent)
        {
            _readAhead!.Read(groupKey, open?.Number ?? 0, open is null ? null : _incidentRows[open.Number], read, held);
        }

        if (escalations is not null && consistent && open is not null && escalations.All(e => e.Incident == open.Number))
        {
            _readAhead!.ReadEscalations(open.Number, [.. escalations.Select(e => e.State)]);
        }

        return held;
    }

    // Where the key is kept apart (IAlertKeys, SQLite: the only engine that looks alerts up one by one), the incident's
    // alert (@n) with a fingerprint (@f, its hash @h): a candidate written lately by its id (@id), or else through the key
    // table. Either way the row's incident and fingerprint are checked (keys are held by the fingerprint's hash), never
    // through an index (the unary +): the index by incident would read every alert of a storm's incident. Reads and
    // updates alike.
    private const string AlertLatelyWritten = "id = @id AND +incident_number = @n AND +fingerprint = @f";
    private const string AlertThroughKeyTable =
        "id IN (SELECT alert_id FROM alert_keys WHERE incident_number = @n AND fingerprint_hash = @h) AND +incident_number = @n AND +fingerprint = @f";

    private static readonly string AlertByIdSql = $"SELECT {SqlRows.KnownAlertColumns} FROM alerts WHERE {AlertLatelyWritten}";
    private static readonly string AlertByKeyTableSql = $"SELECT {SqlRows.KnownAlertColumns} FROM alerts WHERE {AlertThroughKeyTable}";

    private KnownAlertBox? FindAlert(long incident, string fingerprint)
    {
        var hash = keys!.Hash(fingerprint);
        for (var after = -1; keys.Find(incident, hash, ref after) is { } id;)
        {
            if (QueryOne(AlertByIdSql, KnownAlertRow, ("@id", id), ("@n", incident), ("@f", fingerprint)) is { } found)
            {
                return found;
            }
        }

        return QueryOne(AlertByKeyTableSql, KnownAlertRow, ("@n", incident), ("@h", hash), ("@f", fingerprint));
    }

    /// <summary>A <see cref="KnownAlert"/> boxed, as <see cref="QueryOne"/> answers null for no row.</summary>
    private sealed record KnownAlertBox(KnownAlert Known);

    private static KnownAlertBox KnownAlertRow(DbDataReader r) => new(SqlRows.KnownAlert(r));

    // The group's incidents newest first, each probed by the alerts' primary key: an index of alerts by group and
    // fingerprint would cost every webhook writes at random places (fingerprints are random), for a lookup that only a
    // resolution arriving after its incident closed needs. Where the key is kept apart (SQLite), the newest of the alerts
    // written lately with the fingerprint, and of the group's incidents newest first probed through the key table.
    public KnownAlert? FindLatestAlert(string groupKey, string fingerprint) => keys?.Hash(fingerprint) is { } hash
        ? QueryOne(
            $"""
            SELECT {SqlRows.KnownAlertColumns} FROM alerts WHERE id IN (
                SELECT a.id FROM alerts a JOIN incidents i ON i.number = a.incident_number
                WHERE a.id IN (SELECT value FROM json_each(@lately)) AND +a.fingerprint = @f AND i.group_key = @g
                UNION ALL
                SELECT id FROM (
                    SELECT a.id FROM incidents i
                    JOIN alert_keys k ON k.incident_number = i.number AND k.fingerprint_hash = @h
                    JOIN alerts a ON a.id = k.alert_id AND +a.fingerprint = @f
                    WHERE i.group_key = @g ORDER BY i.number DESC LIMIT 1))
            ORDER BY incident_number DESC LIMIT 1
            """,
            KnownAlertRow,
            ("@lately", keys.Lately(hash)),
            ("@g", groupKey),
            ("@h", hash),
            ("@f", fingerprint))?.Known
        : QueryOne(
            $"""
            SELECT {SqlRows.KnownAlertColumns} FROM alerts WHERE fingerprint = @f AND incident_number = (
                SELECT i.number FROM incidents i
                WHERE i.group_key = @g AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_number = i.number AND a.fingerprint = @f)
                ORDER BY i.number DESC LIMIT 1)
            """,
            KnownAlertRow,
            ("@g", groupKey),
            ("@f", fingerprint))?.Known;

    /// <summary>Waits with the unit's other alerts, written together by one statement (<see cref="WriteWaitingRows"/>).</summary>
    public void UpsertAlert(long incidentNumber, string groupKey, Alert alert, bool isNew)
    {
        _pendingAlerts.Add((incidentNumber, groupKey, alert, isNew));
        _readAhead?.Wrote(groupKey, incidentNumber, alert.Fingerprint);
        if (isNew)
        {
            held?.Inserted(groupKey, incidentNumber, alert.Fingerprint, Now);
            _insertedAlerts = true;
        }
    }

    /// <summary>
    /// Writes the rows waiting: the timeline entries, in their order, as one statement (<see cref="AppendTimeline"/>);
    /// the alerts, as few multi-row statements: a webhook's five alerts are one statement, not five. Of an
    /// alert written twice, the last word is kept (PostgreSQL refuses one statement that changes a row twice). New alerts
    /// are inserted; the others upserted. A plain insert is PostgreSQL's cheaper write (an
    /// upsert inserts speculatively: a probe of the key first, and a second WAL record per row to confirm), and should
    /// another writer have stored one meanwhile, its unique key fails the unit, which runs again and reads it.
    /// </summary>
    private void WriteWaitingRows()
    {
        if (_pendingTimeline.Count > 0)
        {
            Write(
                _timelineArraysSql!,
                ("@now", dialect.Time(Now)),
                ("@n", _pendingTimeline.Select(r => r.Incident).ToArray()),
                ("@at", dialect.TimeList([.. _pendingTimeline.Select(r => (DateTimeOffset?)r.Entry.At)])),
                ("@kind", _pendingTimeline.Select(r => r.Entry.Kind.Name()).ToArray()),
                ("@aid", _pendingTimeline.Select(r => r.Entry.Author.Id).ToArray()),
                ("@aname", _pendingTimeline.Select(r => r.Entry.Author.Name).ToArray()),
                ("@text", _pendingTimeline.Select(r => r.Entry.Text).ToArray()));
            _pendingTimeline.Clear();
        }

        if (_waitingTallies.Count > 0)
        {
            WriteWaitingTallies();
        }

        if (_pendingAlerts.Count == 0)
        {
            return;
        }

        var rows = new List<(long Incident, string GroupKey, Alert Alert, bool IsNew)>(_pendingAlerts.Count);
        var seen = new Dictionary<(long, string), int>();
        foreach (var row in _pendingAlerts)
        {
            if (seen.TryGetValue((row.Incident, row.Alert.Fingerprint), out var at))
            {
                rows[at] = row with { IsNew = rows[at].IsNew }; // whether it is stored is what its first write knew
            }
            else
            {
                seen[(row.Incident, row.Alert.Fingerprint)] = rows.Count;
                rows.Add(row);
            }
        }

        _pendingAlerts.Clear();
        WriteAlertRows(upsert: false, [.. rows.Where(r => r.IsNew)]);
        WriteAlertRows(upsert: true, [.. rows.Where(r => !r.IsNew)]);
    }

    /// <summary>
    /// Writes the rows: where the engine takes arrays (<see cref="SqlDialect.AlertArrays"/>), as one statement of ten
    /// parameters, whatever their number; otherwise in statements of at most <see cref="MaxAlertRows"/> rows of VALUES,
    /// each the text of its row count.
    /// </summary>
    private void WriteAlertRows(bool upsert, (long Incident, string GroupKey, Alert Alert, bool IsNew)[] rows)
    {
        if (rows.Length == 0)
        {
            return;
        }

        if (_alertArraysSql is { } arraysSql)
        {
            Write(
                upsert ? arraysSql.Upsert : arraysSql.Insert,
                ("@now", dialect.Time(Now)),
                ("@n", rows.Select(r => r.Incident).ToArray()),
                ("@f", rows.Select(r => r.Alert.Fingerprint).ToArray()),
                ("@g", rows.Select(r => r.GroupKey).ToArray()),
                ("@s", rows.Select(r => StatusText(r.Alert.Status)).ToArray()),
                ("@l", rows.Select(r => LabelJson.Write(r.Alert.Labels)).ToArray()),
                ("@a", rows.Select(r => LabelJson.Write(r.Alert.Annotations)).ToArray()),
                ("@b", dialect.TimeList([.. rows.Select(r => (DateTimeOffset?)r.Alert.StartsAt)])),
                ("@e", dialect.TimeList([.. rows.Select(r => r.Alert.EndsAt)])),
                ("@u", rows.Select(r => r.Alert.SourceUrl).ToArray()));
            return;
        }

        // A direct statement binds the labels' JSON as the writer wrote it, in UTF-8, from one arena of the session's.
        var arena = _direct is null ? null : _utf8Arena ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        if (upsert && keys is not null)
        {
            UpdateAlertRows(rows, arena!);
            return;
        }

        foreach (var chunk in rows.Chunk(MaxAlertRows))
        {
            var args = new (string, object)[chunk.Length * 9 + 1];
            args[0] = ("@now", dialect.Time(Now));
            for (var i = 0; i < chunk.Length; i++)
            {
                var (incident, groupKey, alert, _) = chunk[i];
                var p = i * 9;
                var name = AlertRowParameters[i];
                args[p + 1] = (name[0], incident);
                args[p + 2] = (name[1], alert.Fingerprint);
                args[p + 3] = (name[2], groupKey);
                args[p + 4] = (name[3], StatusText(alert.Status));
                args[p + 5] = (name[4], arena is null ? LabelJson.Write(alert.Labels) : LabelJson.WriteUtf8(alert.Labels, arena));
                args[p + 6] = (name[5], arena is null ? LabelJson.Write(alert.Annotations) : LabelJson.WriteUtf8(alert.Annotations, arena));
                args[p + 7] = (name[6], dialect.Time(alert.StartsAt));
                args[p + 8] = (name[7], dialect.Time(alert.EndsAt));
                args[p + 9] = (name[8], (object?)alert.SourceUrl ?? DBNull.Value);
            }

            Write(upsert ? UpsertAlertsSql[chunk.Length - 1] : InsertAlertsSql[chunk.Length - 1], args);
            arena?.ResetWrittenCount(); // bound: the next chunk's values start again
            if (keys is not null)
            {
                // The rows took the table's next ids, in the order of their VALUES.
                var first = _direct!.LastInsertedId - chunk.Length + 1;
                for (var i = 0; i < chunk.Length; i++)
                {
                    keys.Inserted(chunk[i].Incident, keys.Hash(chunk[i].Alert.Fingerprint), first + i);
                }
            }
        }

        if (arena is { Capacity: > MaxArenaBytes })
        {
            _utf8Arena = null; // a large group's values do not stay in memory
        }
    }

    private const int MaxArenaBytes = 1024 * 1024;

    /// <summary>
    /// Where the key is kept apart (<see cref="IAlertKeys"/>), the table has no key to meet on conflict: an alert the
    /// lookup found is updated by its id, one statement an alert (a repeat or a resolution; a storm's alerts are new).
    /// </summary>
    private void UpdateAlertRows((long Incident, string GroupKey, Alert Alert, bool IsNew)[] rows, System.Buffers.ArrayBufferWriter<byte> arena)
    {
        foreach (var (incident, _, alert, _) in rows)
        {
            // As FindAlert: a candidate written lately whose row is another's (a hash shared) changes nothing, and the next
            // is tried, then the key table.
            var hash = keys!.Hash(alert.Fingerprint);
            var changed = 0;
            for (var after = -1; changed == 0 && keys.Find(incident, hash, ref after) is { } id;)
            {
                changed = UpdateAlertRow(("@id", id), incident, alert, arena);
            }

            if (changed == 0 && UpdateAlertRow(("@h", hash), incident, alert, arena) == 0)
            {
                throw new InvalidOperationException($"Alert {alert.Fingerprint} of incident {incident} was found, and then not there to update.");
            }
        }
    }

    /// <summary>Updates the alert's row found by <paramref name="by"/>: a candidate's id (@id), or the fingerprint's hash (@h) for the key table.</summary>
    private int UpdateAlertRow((string Name, object Value) by, long incident, Alert alert, System.Buffers.ArrayBufferWriter<byte> arena)
    {
        try
        {
            return _direct!.Execute(
                by.Name == "@id" ? UpdateAlertByIdSql : UpdateAlertByKeyTableSql,
                [
                    by,
                    ("@n", incident),
                    ("@f", alert.Fingerprint),
                    ("@s", StatusText(alert.Status)),
                    ("@l", LabelJson.WriteUtf8(alert.Labels, arena)),
                    ("@a", LabelJson.WriteUtf8(alert.Annotations, arena)),
                    ("@b", dialect.Time(alert.StartsAt)),
                    ("@e", dialect.Time(alert.EndsAt)),
                    ("@u", (object?)alert.SourceUrl ?? DBNull.Value),
                    ("@now", dialect.Time(Now)),
                ]);
        }
        finally
        {
            arena.ResetWrittenCount();
        }
    }

    private const string UpdateAlert =
        "UPDATE alerts SET status = @s, labels = @l, annotations = @a, starts_at = @b, ends_at = @e, source_url = @u, updated_at = @now WHERE ";

    private const string UpdateAlertByIdSql = UpdateAlert + AlertLatelyWritten;

    private const string UpdateAlertByKeyTableSql = UpdateAlert + AlertThroughKeyTable;

    private System.Buffers.ArrayBufferWriter<byte>? _utf8Arena;

    private const int MaxAlertRows = 64;

    internal const string InsertAlerts = """
        INSERT INTO alerts (incident_number, fingerprint, group_key, status, labels, annotations, starts_at, ends_at,
            source_url, first_seen_at, updated_at)

        """;

    private const string OnConflictUpdateAlert = """

        ON CONFLICT (incident_number, fingerprint) DO UPDATE SET status = excluded.status, labels = excluded.labels,
            annotations = excluded.annotations, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
            source_url = excluded.source_url, updated_at = excluded.updated_at
        """;

    /// <summary>The parameters' names of row i of <see cref="InsertAlertsSql"/>, spelt once (a storm's webhook binds 45).</summary>
    private static readonly string[][] AlertRowParameters = [.. Enumerable.Range(0, MaxAlertRows).Select(i =>
        new[] { "@n", "@f", "@g", "@s", "@l", "@a", "@b", "@e", "@u" }.Select(prefix => prefix + i).ToArray())];

    /// <summary>The insert of 1 to <see cref="MaxAlertRows"/> alerts, one text per row count (so each is prepared once).</summary>
    private static readonly string[] InsertAlertsSql = [.. Enumerable.Range(1, MaxAlertRows).Select(rows =>
        InsertAlerts + "VALUES " + string.Join(", ", AlertRowParameters.Take(rows).Select(names => $"({string.Join(", ", names)}, @now, @now)")))];

    /// <summary>The upsert of 1 to <see cref="MaxAlertRows"/> alerts, likewise.</summary>
    private static readonly string[] UpsertAlertsSql = [.. InsertAlertsSql.Select(insert => insert + OnConflictUpdateAlert)];

    /// <summary>The insert and upsert of any number of alerts as arrays, where the engine takes them.</summary>
    private readonly (string Insert, string Upsert)? _alertArraysSql =
        dialect.AlertArrays is { } source ? (InsertAlerts + source, InsertAlerts + source + OnConflictUpdateAlert) : null;

    /// <summary>
    /// Where the engine takes arrays (PostgreSQL), the entry waits with the writes' rows (<see cref="WriteWaitingRows"/>):
    /// a storm's batch of 64 webhooks, each with its "joined" entry, writes them with one statement, in their order
    /// (their ids keep it). Nothing else written names an entry, and a read or a check for an entry
    /// (<see cref="AppendTimelineOnce"/>) sends them first.
    /// </summary>
    public void AppendTimeline(long incidentNumber, TimelineEntry entry)
    {
        if (_timelineArraysSql is not null)
        {
            _pendingTimeline.Add((incidentNumber, entry));
            return;
        }

        Write(InsertTimeline + "VALUES (@n, @at, @kind, @aid, @aname, @text, @now)", TimelineParameters(incidentNumber, entry));
    }

    internal const string InsertTimeline = """
        INSERT INTO timeline (incident_number, at, kind, author_id, author_name, text, recorded_at)

        """;

    private readonly string? _timelineArraysSql = dialect.TimelineArrays is { } source ? InsertTimeline + source : null;

    public bool AppendTimelineOnce(long incidentNumber, TimelineEntry entry) =>
        Command(
            """
            INSERT INTO timeline (incident_number, at, kind, author_id, author_name, text, recorded_at)
            SELECT (SELECT number FROM incidents WHERE number = @n), @at, @kind, @aid, @aname, @text, @now
            WHERE NOT EXISTS (SELECT 1 FROM timeline WHERE incident_number = @n AND at = @at AND author_id = @aid AND text = @text)
            """,
            TimelineParameters(incidentNumber, entry)).ExecuteNonQuery() == 1;

    public void SaveChannelTopic(long incidentNumber, string topic) =>
        Command(
            "INSERT INTO channel_topics (incident_number, topic) VALUES (@n, @t) ON CONFLICT (incident_number) DO UPDATE SET topic = excluded.topic",
            ("@n", incidentNumber),
            ("@t", topic)).ExecuteNonQuery();

    /// <summary>Through ix_timeline_kind: the incident's page entries (the kind written in the text, so the index's condition is seen to hold).</summary>
    public bool AppendPageEntryOnce(long incidentNumber, TimelineEntry entry) =>
        entry.Kind != TimelineKind.Page ? throw new ArgumentException($"A {entry.Kind} entry is not a page's.", nameof(entry)) :
        Command(
            $"""
            INSERT INTO timeline (incident_number, at, kind, author_id, author_name, text, recorded_at)
            SELECT (SELECT number FROM incidents WHERE number = @n), @at, @kind, @aid, @aname, @text, @now
            WHERE NOT EXISTS (SELECT 1 FROM timeline WHERE incident_number = @n AND kind = '{TimelineKind.Page.Name()}' AND author_id = @aid AND text = @text)
            """,
            TimelineParameters(incidentNumber, entry)).ExecuteNonQuery() == 1;

    private (string Name, object Value)[] TimelineParameters(long incidentNumber, TimelineEntry entry) =>
    [
        ("@n", incidentNumber),
        ("@at", dialect.Time(entry.At)),
        ("@kind", entry.Kind.Name()),
        ("@aid", entry.Author.Id),
        ("@aname", entry.Author.Name),
        ("@text", entry.Text),
        ("@now", dialect.Time(Now)),
    ];

    public IncidentTask AddTask(long incidentNumber, IncidentTask task)
    {
        var number = Convert.ToInt32(Scalar(
            """
            INSERT INTO tasks (incident_number, number, kind, title, assignee, url, state, created_at)
            VALUES (@n, (SELECT COALESCE(MAX(number), 0) + 1 FROM tasks WHERE incident_number = @n), @kind, @title, @assignee, NULL, NULL, @now)
            RETURNING number
            """,
            ("@n", incidentNumber),
            ("@kind", task.Kind),
            ("@title", task.Title),
            ("@assignee", (object?)task.Assignee ?? DBNull.Value),
            ("@now", dialect.Time(Now))));
        return task with { Number = number };
    }

    public void UpdateTask(long incidentNumber, int taskNumber, string url, string state) =>
        Write(
            "UPDATE tasks SET url = @url, state = @state WHERE incident_number = @n AND number = @t",
            ("@n", incidentNumber),
            ("@t", taskNumber),
            ("@url", url),
            ("@state", state));

    /// <summary>
    /// Whether the policy ever ran on the incident: answered without a read once this process saw it committed
    /// (<see cref="PoliciesRun"/>), so a storm's webhooks, which each ask whether their route's policy ran on the
    /// incident, ask the database once, and a batch's read of its groups brings no escalations (no unit asked for them).
    /// </summary>
    public bool HasRun(long incidentNumber, string policy)
    {
        if (policiesRun.Ran(incidentNumber, policy))
        {
            return true;
        }

        var ran = Core.Escalation.IEscalationSession.AnyOf(GetEscalations(incidentNumber), policy);
        if (ran)
        {
            _policiesSeen.Add((incidentNumber, policy));
        }

        return ran;
    }

    public IReadOnlyList<Core.Escalation.EscalationState> GetEscalations(long incidentNumber)
    {
        _askedEscalations = true;

        // A storm's batch asks once, not once a webhook (on PostgreSQL each a round trip under the incident's lock)
        if ((_readAhead?.Escalations(incidentNumber) ?? _escalations?.GetValueOrDefault(incidentNumber)) is { } known)
        {
            return known;
        }

        _asksEscalations = true;
        var read = Ask($"{SqlRows.EscalationsOf}{dialect.ForUpdate}", [("@n", incidentNumber)], reader =>
        {
            var list = new List<Core.Escalation.EscalationState>();
            while (reader.Read())
            {
                list.Add(SqlRows.Escalation(reader, incidentNumber));
            }

            return list.ToArray();
        });
        _readAhead?.ReadEscalations(incidentNumber, read);
        _escalations?.Add(incidentNumber, read);
        return read;
    }

    public void SaveEscalation(Core.Escalation.EscalationState e)
    {
        _policiesSeen.Add((e.Incident, e.Policy));
        _readAhead?.SavedEscalation(e.Incident);
        _escalations?.Remove(e.Incident);
        Write(
            """
            INSERT INTO escalations (incident_number, policy, run, status, cycle, step, paged, updated_at)
            VALUES (@n, @policy, @run, @status, @cycle, @step, @paged, @now)
            ON CONFLICT (incident_number, policy) DO UPDATE SET
                run = excluded.run, status = excluded.status, cycle = excluded.cycle, step = excluded.step,
                paged = excluded.paged, updated_at = excluded.updated_at
            """,
            ("@n", e.Incident),
            ("@policy", e.Policy),
            ("@run", e.Run),
            ("@status", e.Status),
            ("@cycle", e.Cycle),
            ("@step", e.Step),
            ("@paged", string.Join(' ', e.Paged)),
            ("@now", dialect.Time(Now)));
        _knownGroups?.Bumped(e.Incident); // PostgreSQL's trigger raises the incident's version: a writer that knew its escalations reads them again
    }

    public Core.Escalation.StoredRules? GetNotificationRules(string user) =>
        QueryOne(
            "SELECT notify, important FROM notification_rules WHERE user_id = @user",
            r => new Core.Escalation.StoredRules(TextListJson.ReadOrNull(SqlRows.TextOrNull(r, 0)), TextListJson.ReadOrNull(SqlRows.TextOrNull(r, 1))),
            ("@user", user));

    public void SaveNotificationRules(string user, Core.Escalation.StoredRules? rules)
    {
        if (rules is null)
        {
            Write("DELETE FROM notification_rules WHERE user_id = @user", ("@user", user));
            return;
        }

        Write(
            """
            INSERT INTO notification_rules (user_id, notify, important) VALUES (@user, @notify, @important)
            ON CONFLICT (user_id) DO UPDATE SET notify = excluded.notify, important = excluded.important
            """,
            ("@user", user),
            ("@notify", rules.Notify is { } n ? TextListJson.Write(n) : DBNull.Value),
            ("@important", rules.Important is { } i ? TextListJson.Write(i) : DBNull.Value));
    }

    public IReadOnlyList<Core.Escalation.OverrideOptions> GetOverrides(string team, DateTimeOffset after) =>
        Ask(SqlRows.OverridesOf, [("@team", team.ToLowerInvariant()), ("@after", dialect.Time(after))], reader =>
        {
            var list = new List<Core.Escalation.OverrideOptions>();
            while (reader.Read())
            {
                list.Add(SqlRows.Override(reader));
            }

            return list;
        });

    public void AddOverride(string team, Core.Escalation.OverrideOptions over) =>
        Write(
            "INSERT INTO oncall_overrides (team, user_id, from_at, to_at) VALUES (@team, @user, @from, @to)",
            ("@team", team.ToLowerInvariant()),
            ("@user", over.User),
            ("@from", dialect.Time(over.From)),
            ("@to", dialect.Time(over.To)));

    public void AddHostKey(string name, string document) =>
        Write("INSERT INTO host_keys (name, document) VALUES (@name, @doc) ON CONFLICT DO NOTHING", ("@name", name), ("@doc", document));

    public void RecordPage(string stepKey, string user, long incidentNumber, string policy, DateTimeOffset at) =>
        Write(
            "INSERT INTO pages (step_key, user_id, incident_number, policy, at) VALUES (@key, @user, @n, @policy, @at) ON CONFLICT DO NOTHING",
            ("@key", stepKey),
            ("@user", user),
            ("@n", incidentNumber),
            ("@policy", policy),
            ("@at", dialect.Time(at)));

    public int CountAlertsSince(long incidentNumber, DateTimeOffset since) =>
        Convert.ToInt32(
            Scalar("SELECT COUNT(*) FROM alerts WHERE incident_number = @n AND first_seen_at >= @since", ("@n", incidentNumber), ("@since", dialect.Time(since))),
            System.Globalization.CultureInfo.InvariantCulture);

    public long TakeTurn(string key) =>
        Convert.ToInt64(
            Scalar("INSERT INTO turns (key, taken) VALUES (@key, 1) ON CONFLICT (key) DO UPDATE SET taken = turns.taken + 1 RETURNING taken", ("@key", key)),
            System.Globalization.CultureInfo.InvariantCulture);

    public bool UseAckLink(string linkHash) =>
        Command("INSERT INTO ack_links_used (link_hash, used_at) VALUES (@hash, @now) ON CONFLICT (link_hash) DO NOTHING", ("@hash", linkHash), ("@now", dialect.Time(Now)))
            .ExecuteNonQuery() == 1;

    public Core.Heartbeats.HeartbeatState? GetHeartbeat(string name) =>
        QueryOne(
            $"SELECT name, last_beat_at, missed, check_key FROM heartbeats WHERE name = @name{dialect.ForUpdate}",
            r => new Core.Heartbeats.HeartbeatState(r.GetString(0), SqlRows.Time(r, 1), r.GetInt32(2) != 0, SqlRows.TextOrNull(r, 3)),
            ("@name", name));

    public void SaveHeartbeat(Core.Heartbeats.HeartbeatState state) =>
        Write(
            """
            INSERT INTO heartbeats (name, last_beat_at, missed, check_key) VALUES (@name, @at, @missed, @check)
            ON CONFLICT (name) DO UPDATE SET last_beat_at = excluded.last_beat_at, missed = excluded.missed, check_key = excluded.check_key
            """,
            ("@name", state.Name),
            ("@at", dialect.Time(state.LastBeatAt)),
            ("@missed", state.Missed ? 1 : 0),
            ("@check", (object?)state.CheckKey ?? DBNull.Value));

    /// <summary>
    /// Writes the readiness probe's one row, with <see cref="ProbeRoom"/>: the unit commits only if the store can write
    /// that much (a store can have room for a few bytes more, such as what a failed commit left allocated, and not for a
    /// webhook).
    /// </summary>
    public void RecordProbe() =>
        Write(
            "INSERT INTO store_probe (id, at, room) VALUES (1, @now, @room) ON CONFLICT (id) DO UPDATE SET at = excluded.at, room = excluded.room",
            ("@now", dialect.Time(Now)),
            ("@room", ProbeRoom));

    /// <summary>64 KiB that do not compress (PostgreSQL compresses what it stores out of line).</summary>
    private static readonly byte[] ProbeRoom = System.Security.Cryptography.RandomNumberGenerator.GetBytes(64 * 1024);

    public bool RescheduleJob(string key, DateTimeOffset dueAt)
    {
        var moved = Command("UPDATE outbox SET due_at = @due WHERE key = @key AND state = 0", ("@key", key), ("@due", dialect.Time(dueAt))).ExecuteNonQuery() == 1;
        EnqueuedJobs |= moved; // the worker wakes for it as for a new job
        return moved;
    }

    public void Enqueue(EffectJob job)
    {
        if (_outboxKeys.Holds(job.Key, Now))
        {
            return; // the outbox holds it: as the insert below would, this adds nothing
        }

        var added = Write(
            """
            INSERT INTO outbox (key, kind, ordering_key, payload, state, attempts, due_at, created_at, trace_parent, lane)
            VALUES (@key, @kind, @order, @payload, 0, 0, @due, @now, @trace, @lane)
            ON CONFLICT (key) DO NOTHING
            """,
            ("@key", job.Key),
            ("@kind", job.Kind),
            ("@order", job.OrderingKey),
            ("@payload", job.Payload),
            ("@due", dialect.Time(job.DueAt)),
            ("@now", dialect.Time(Now)),
            ("@trace", (object?)TraceParent ?? DBNull.Value),
            ("@lane", (int)job.Lane));
        if (added is { } batched)
        {
            _pendingJobs.Add((batched, job.Key)); // whether it added a job is known once the batch ran
        }
        else
        {
            EnqueuedJobs = true;
            _outboxKeys.Found(job.Key); // added or found: the statement does not say
        }
    }

    public IReadOnlyList<EffectJob> ClaimDueJobs(JobsWanted wanted, TimeSpan lease)
    {
        using var reader = Command(
            dialect.ClaimDueJobs,
            [("@lease", dialect.Time(Now + lease)), ("@now", dialect.Time(Now)), .. dialect.ClaimCounts(wanted)]).ExecuteReader();
        var jobs = new List<EffectJob>();
        while (reader.Read())
        {
            jobs.Add(Job(reader));
        }

        jobs.Sort(EffectJob.ClaimOrder); // RETURNING keeps no order
        return jobs;
    }

    // A job is done after it was due, so due_at < @before bounds the index range that is read (ix_outbox_due).
    public int DeleteDoneJobs(DateTimeOffset before, int max)
    {
        before = OutboxOptions.DeletableBefore(before, Now); // the writers of every replica trust for minutes the keys they inserted
        var deleted = Command(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 2 AND due_at < @before AND completed_at < @before LIMIT @max)",
            ("@before", dialect.Time(before)),
            ("@max", max)).ExecuteNonQuery();
        if (deleted > 0)
        {
            _outboxKeys.Forget(); // a key it remembers may have been one of them
        }

        return deleted;
    }

    /// <summary>The claim's own row (<c>@id</c>, <c>@claims</c>): a claim whose lease ended and that another run took since holds none.</summary>
    private const string Claimed = "id = @id AND state = 1 AND claims = @claims";

    public void CompleteJob(EffectJob claimed) =>
        Write(
            $"UPDATE outbox SET state = 2, completed_at = @now, lease_until = NULL WHERE {Claimed}",
            ("@id", claimed.Id),
            ("@claims", claimed.Claims),
            ("@now", dialect.Time(Now)));

    public void ReleaseJob(EffectJob claimed)
    {
        var released = Command(
            $"UPDATE outbox SET state = 0, lease_until = NULL, claims = claims - 1 WHERE {Claimed}",
            ("@id", claimed.Id),
            ("@claims", claimed.Claims)).ExecuteNonQuery() == 1;
        EnqueuedJobs |= released;
    }

    public void RetryJob(EffectJob claimed, DateTimeOffset dueAt, string error) =>
        Write(
            $"UPDATE outbox SET state = 0, attempts = attempts + 1, first_due_at = COALESCE(first_due_at, due_at), due_at = @due, last_error = @err, lease_until = NULL WHERE {Claimed}",
            ("@id", claimed.Id),
            ("@claims", claimed.Claims),
            ("@due", dialect.Time(dueAt)),
            ("@err", error));

    public bool FailJob(EffectJob claimed, string error) =>
        Command(
            $"UPDATE outbox SET state = 3, attempts = attempts + 1, completed_at = @now, last_error = @err, lease_until = NULL WHERE {Claimed}",
            ("@id", claimed.Id),
            ("@claims", claimed.Claims),
            ("@now", dialect.Time(Now)),
            ("@err", error)).ExecuteNonQuery() == 1;

    /// <summary>Writes what waits (alerts; the batch, if any): before a read, and at the end of each unit of work.</summary>
    public void Flush()
    {
        WriteWaitingRows();
        if (_pending is not { } batch)
        {
            return;
        }

        _pending = null;
        using (batch)
        {
            RunWaitingWrites(batch, static b => b.ExecuteNonQuery());
        }
    }

    /// <summary>
    /// Runs a batch that starts with the writes waiting (and may end with reads: when the reader stands on the first
    /// read's rows, the writes before it have run), then notes whether they added jobs.
    /// </summary>
    private T RunWaitingWrites<T>(DbBatch batch, Func<DbBatch, T> run)
    {
        try
        {
            batch.Transaction = Transaction;
            var result = run(batch);
            foreach (var (insert, key) in _pendingJobs)
            {
                if (insert.RecordsAffected > 0)
                {
                    EnqueuedJobs = true;
                    _outboxKeys.Inserted(key);
                }
                else
                {
                    _outboxKeys.Found(key);
                }
            }

            return result;
        }
        finally
        {
            _pendingJobs.Clear();
        }
    }

    /// <summary>
    /// Ends a unit of a batch: its alerts wait on with those of the units after it, all written as one statement when
    /// the next read or the commit sends the writes waiting (the alerts last), so a storm's batch of 64 webhooks inserts
    /// its alerts once, not 64 times. Moved after the units' other writes, they
    /// meet nothing: no other write names an alert, and a read sends them before it reads. Should one fail, the batch
    /// runs again as any batch whose failure came late (<see cref="SqlIncidentStore"/>).
    /// </summary>
    public void EndUnitLater()
    {
    }

    /// <summary>
    /// Sends the writes waiting, and where they wait in a batch (<see cref="SqlDialect.BatchesWrites"/>) COMMIT with them:
    /// one round trip for a unit's writes and its commit, not two. An error of either is raised here.
    /// </summary>
    public void SendWritesAndCommit()
    {
        WriteWaitingRows();
        if (_pending is not { } batch)
        {
            return;
        }

        Add(batch, "COMMIT");
        Flush();
        _commitSent = true;
    }

    /// <summary>Commits the transaction (unless <see cref="SendWritesAndCommit"/> did): what its units wrote is in the store.</summary>
    public void Commit(DbTransaction tx)
    {
        if (!_commitSent)
        {
            tx.Commit();
        }

        _outboxKeys.Committed(Now);
        foreach (var (number, (group, count)) in _heldCounts)
        {
            held?.Committed(group, number, count);
        }

        policiesRun.Committed(_policiesSeen);
        keys?.Committed();
        _knownGroups?.Committed(_readAhead!); // both where the dialect batches

        // Escalations come with the groups' reads from a unit's question on, until a transaction that read them ahead
        // had no unit ask (each webhook's policy known to have run: PoliciesRun); other transactions (jobs) change nothing.
        _asksEscalations = _askedEscalations || (_asksEscalations && !_escalationsReadAhead);
        EndTransaction();
    }

    /// <summary>Forgets what the transaction noted for its commit (the filters' counts and reliance, the policies seen run, the escalations asked for).</summary>
    private void EndTransaction()
    {
        _commitSent = false;
        _heldCounts.Clear();
        _heldRelied.Clear();
        _insertedAlerts = false;
        _policiesSeen.Clear();
        _askedEscalations = false;
        _escalationsReadAhead = false;
    }

    /// <summary>Drops the writes waiting in the batch: their unit of work (or the transaction) is undone.</summary>
    public void Discard()
    {
        _knownGroups?.Ended(Now);
        _outboxKeys.Undone();
        keys?.Undone();
        foreach (var (group, number) in _heldRelied)
        {
            held?.Forget(group, number); // should its word have been wrong, the unit runs again with every lookup made
        }

        EndTransaction();
        _incidentRows.Clear();
        _readAhead?.Clear();
        _escalations?.Clear();
        _waitingTallies.Clear();
        _pendingAlerts.Clear();
        _pendingTimeline.Clear();
        _pendingJobs.Clear();
        _pending?.Dispose();
        _pending = null;
    }

    public void Dispose()
    {
        Discard();
        _direct?.Dispose();
        foreach (var (command, _) in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }

    private T? QueryOne<T>(string sql, Func<DbDataReader, T> read, params (string, object)[] args)
        where T : class
    {
        if (_direct is { } direct)
        {
            WriteWaitingRows(); // what this statement reads must see the unit's earlier writes
            return direct.QueryOne(sql, args, read);
        }

        return Ask(sql, args, reader => reader.Read() ? read(reader) : null);
    }

    /// <summary>The first column of the first row a statement answers (a read, or a write's <c>RETURNING</c>), or null.</summary>
    private object? Scalar(string sql, params (string Name, object Value)[] args) => Ask(sql, args, static reader => reader.Read() ? reader.GetValue(0) : null);

    /// <summary>
    /// Runs a statement that answers rows and reads them. Where writes wait in a batch (<see cref="SqlDialect.BatchesWrites"/>),
    /// they go first in the same round trip (they answer nothing, so the reader's first result is the statement's): a
    /// unit that reads after it wrote (a webhook's route asking for its incident's escalations, a step counting alerts)
    /// waits for one round trip, not two. An error of the writes is raised here, as <see cref="Flush"/> would.
    /// </summary>
    private T Ask<T>(string sql, (string Name, object Value)[] args, Func<DbDataReader, T> read)
    {
        WriteWaitingRows();
        if (_pending is null)
        {
            using var alone = Command(sql, args).ExecuteReader();
            return read(alone);
        }

        using var batch = TakeWaitingWrites();
        Add(batch, sql, args);
        using var reader = RunWaitingWrites(batch, static b => b.ExecuteReader());
        return read(reader);
    }

    /// <summary>The batch of the writes waiting (the unit's alerts written into it), or a new one, taken to be sent with reads added to it.</summary>
    private DbBatch TakeWaitingWrites()
    {
        WriteWaitingRows();
        var batch = _pending ?? connection.CreateBatch();
        _pending = null;
        return batch;
    }

    /// <summary>
    /// A write that answers nothing: run at once, or (where the dialect batches writes) added to the batch that
    /// <see cref="Flush"/> sends, and then its batch command is returned.
    /// </summary>
    private DbBatchCommand? Write(string sql, params (string Name, object Value)[] args)
    {
        if (_direct is { } direct)
        {
            WriteWaitingRows(); // what this statement changes must see the unit's earlier writes
            direct.Execute(sql, args);
            return null;
        }

        if (!dialect.BatchesWrites)
        {
            Command(sql, args).ExecuteNonQuery();
            return null;
        }

        _pending ??= connection.CreateBatch();
        return Add(_pending, sql, args);
    }

    /// <summary>Adds a statement with its parameters to a batch (the writes waiting, or a unit's reads sent together).</summary>
    private DbBatchCommand Add(DbBatch batch, string sql, params (string Name, object Value)[] args)
    {
        var command = batch.CreateBatchCommand();
        var statement = dialect.Statement(sql);
        command.CommandText = statement.Text;
        statement.Bind(command, args);
        batch.BatchCommands.Add(command);
        return command;
    }

    /// <summary>
    /// The statement's command, made once with its parameters; each call sets the parameters' values. (Replacing the
    /// parameter objects of a command the provider has prepared makes Npgsql run it with the old values: a test lost
    /// alerts that way.) A statement is always called with the same parameters in the same order (set by position).
    /// </summary>
    private DbCommand Command(string sql, params (string Name, object Value)[] args)
    {
        Flush(); // what this statement reads or changes must see the unit's earlier writes
        if (!_commands.TryGetValue(sql, out var made))
        {
            made = (connection.CreateCommand(), dialect.Statement(sql));
            made.Command.CommandText = made.Statement.Text;
            made.Statement.Bind(made.Command, args);
            _commands[sql] = made;
        }

        var (command, statement) = made;

        command.Transaction = Transaction;
        statement.Rebind(command, args);
        return command;
    }
}
