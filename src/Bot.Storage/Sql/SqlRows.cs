using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using System.Data.Common;

namespace Bot.Storage.Sql;

/// <summary>Column lists and row readers shared by the writer's session and the read queries.</summary>
internal static class SqlRows
{
    public const string IncidentColumns =
        "number, title, severity, status, source, group_key, created_at, acknowledged_at, mitigated_at, resolved_at, updated_at, channel_id, channel_name, " +
        "lead_id, lead_name, roles, progress, impact, cause, resolution, last_update_at, summary_message_id, alert_count, firing_count, runbooks, first_alert_at";

    /// <summary>The order alerts are listed in: as first seen (an index on each engine serves it for one incident).</summary>
    public const string AlertOrder = "first_seen_at, starts_at, fingerprint";

    public const string AlertColumns =
        "incident_number, fingerprint, status, labels, annotations, starts_at, ends_at, source_url, first_seen_at, updated_at";

    public const string TimelineColumns = "at, kind, author_id, author_name, text, recorded_at, id";

    public const string JobColumns = "id, key, kind, ordering_key, payload, attempts, due_at, created_at, claims, trace_parent, lane";

    /// <summary>Outbox row <c>o</c> waits behind no earlier job of its ordering key: it may be claimed when due.</summary>
    public const string NotBlocked = "NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.id < o.id AND p.state IN (0, 1))";

    /// <summary>A stored time: Unix milliseconds (SQLite) or a <c>timestamptz</c> (PostgreSQL).</summary>
    public static DateTimeOffset Time(DbDataReader r, int i) =>
        r.GetFieldType(i) == typeof(long) ? DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i)) : r.GetFieldValue<DateTimeOffset>(i);

    public static DateTimeOffset? TimeOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : Time(r, i);

    public static string? TextOrNull(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>An incident's escalations (parameter <c>@n</c>), read by <see cref="Escalation"/>.</summary>
    public const string EscalationsOf = $"SELECT {EscalationColumns} FROM escalations WHERE incident_number = @n ORDER BY policy";

    /// <summary>
    /// The escalations of the open incidents of the groups <paramref name="groupsAre"/> names (a condition on
    /// <c>open_group_key</c>), read by <see cref="Escalation"/>, each followed by its incident's number (column 7), in
    /// the incidents' order.
    /// </summary>
    public static string EscalationsOfOpenIncidents(string groupsAre) =>
        $"SELECT {EscalationColumns}, incident_number FROM escalations WHERE incident_number IN (SELECT number FROM incidents WHERE {groupsAre}) ORDER BY incident_number, policy";

    private const string EscalationColumns = "policy, run, status, cycle, step, paged, updated_at";

    public static Core.Escalation.EscalationState Escalation(DbDataReader r, long incidentNumber) => new(
        incidentNumber, r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4),
        r.GetString(5).Split(' ', StringSplitOptions.RemoveEmptyEntries), Time(r, 6));

    /// <summary>A team's overrides (<c>@team</c>, lower case) ending after <c>@after</c>, read by <see cref="Override"/>.</summary>
    public const string OverridesOf = "SELECT user_id, from_at, to_at FROM oncall_overrides WHERE team = @team AND to_at > @after ORDER BY id";

    public static Core.Escalation.OverrideOptions Override(DbDataReader r) => new() { User = r.GetString(0), From = Time(r, 1), To = Time(r, 2) };

    public static Incident Incident(DbDataReader r) => Core.Incidents.Incident.Restore(
        number: r.GetInt64(0),
        title: r.GetString(1),
        severity: (Severity)r.GetInt32(2),
        status: IncidentStatusText.Parse(r.GetString(3)) ?? throw new FormatException($"Bad status '{r.GetString(3)}'."),
        source: r.GetString(4),
        groupKey: r.GetString(5),
        createdAt: Time(r, 6),
        acknowledgedAt: TimeOrNull(r, 7),
        mitigatedAt: TimeOrNull(r, 8),
        resolvedAt: TimeOrNull(r, 9),
        updatedAt: Time(r, 10),
        channelId: TextOrNull(r, 11),
        channelName: TextOrNull(r, 12))
        .WithResponse(
            lead: r.IsDBNull(13) ? null : new Actor(r.GetString(13), r.GetString(14)),
            roles: RolesJson.Read(r.GetString(15)),
            progress: TextOrNull(r, 16),
            impact: TextOrNull(r, 17),
            cause: TextOrNull(r, 18),
            resolution: TextOrNull(r, 19),
            lastUpdateAt: TimeOrNull(r, 20),
            summaryMessageId: TextOrNull(r, 21))
        .WithAlerts(alertCount: r.GetInt32(22), firingCount: r.GetInt32(23), runbooks: TextListJson.Read(r.GetString(24)), firstAlertAt: TimeOrNull(r, 25));

    public static StoredAlert Alert(DbDataReader r) => new(
        r.GetInt64(0),
        new Alert(
            Fingerprint: r.GetString(1),
            Status: r.GetString(2) == "firing" ? AlertStatus.Firing : AlertStatus.Resolved,
            Labels: LabelJson.Read(r.GetString(3)),
            Annotations: LabelJson.Read(r.GetString(4)),
            StartsAt: Time(r, 5),
            EndsAt: TimeOrNull(r, 6),
            SourceUrl: TextOrNull(r, 7)),
        FirstSeenAt: Time(r, 8),
        UpdatedAt: Time(r, 9));

    /// <summary>What the intake needs of a stored alert (<see cref="KnownAlert"/>): no labels read.</summary>
    public const string KnownAlertColumns = "incident_number, fingerprint, status, starts_at";

    /// <summary>A row of <see cref="KnownAlertColumns"/>, its fingerprint aside.</summary>
    public static KnownAlert KnownAlert(DbDataReader r) =>
        new(r.GetInt64(0), r.GetString(2) == "firing" ? AlertStatus.Firing : AlertStatus.Resolved, Time(r, 3));

    public static TimelineEntry Timeline(DbDataReader r) => new(
        Time(r, 0), TimelineKindText.Parse(r.GetString(1)), new Actor(r.GetString(2), r.GetString(3)), r.GetString(4))
    {
        RecordedAt = Time(r, 5),
        Id = r.GetInt64(6),
    };

    public static EffectJob Job(DbDataReader r) => new(r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), Time(r, 6))
    {
        Id = r.GetInt64(0),
        Attempts = r.GetInt32(5),
        CreatedAt = Time(r, 7),
        Claims = r.GetInt32(8),
        TraceParent = TextOrNull(r, 9),
        Lane = r.GetInt32(10) is var lane && Enum.IsDefined((JobLane)lane) ? (JobLane)lane : JobLane.Default,
    };

    public static string StatusText(AlertStatus status) => status == AlertStatus.Firing ? "firing" : "resolved";
}
