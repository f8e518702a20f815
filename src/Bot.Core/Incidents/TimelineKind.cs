namespace Bot.Core.Incidents;

/// <summary>What a timeline entry records. Stored by <see cref="TimelineKindText.Name"/>.</summary>
public enum TimelineKind
{
    IncidentOpened,
    AlertFiring,
    AlertResolved,
    StatusChanged,
    SeverityChanged,
    ChatChannel,
    EffectFailed,
    Note,
    Update,
    RoleAssigned,
    Edited,
    Task,
    Page,
    Escalation,
}

public static class TimelineKindText
{
    /// <summary>What alerts did: a storm writes one per webhook, so readers page through them or leave them out.</summary>
    public static readonly IReadOnlyCollection<TimelineKind> AlertActivity = [TimelineKind.AlertFiring, TimelineKind.AlertResolved];

    /// <summary>Everything but <see cref="AlertActivity"/>: what people and the bot did.</summary>
    public static readonly IReadOnlyCollection<TimelineKind> NotAlertActivity = Enum.GetValues<TimelineKind>().Except(AlertActivity).ToArray();

    private static readonly Dictionary<string, TimelineKind> ByName =
        Enum.GetValues<TimelineKind>().ToDictionary(Name, StringComparer.Ordinal);

    /// <summary>snake_case name: <c>incident_opened</c>, <c>alert_firing</c>, ...</summary>
    public static string Name(this TimelineKind kind) => kind switch
    {
        TimelineKind.IncidentOpened => "incident_opened",
        TimelineKind.AlertFiring => "alert_firing",
        TimelineKind.AlertResolved => "alert_resolved",
        TimelineKind.StatusChanged => "status_changed",
        TimelineKind.SeverityChanged => "severity_changed",
        TimelineKind.ChatChannel => "chat_channel",
        TimelineKind.EffectFailed => "effect_failed",
        TimelineKind.Note => "note",
        TimelineKind.Update => "update",
        TimelineKind.RoleAssigned => "role_assigned",
        TimelineKind.Edited => "edited",
        TimelineKind.Task => "task",
        TimelineKind.Page => "page",
        TimelineKind.Escalation => "escalation",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string name, out TimelineKind kind) => ByName.TryGetValue(name, out kind);

    public static TimelineKind Parse(string name) =>
        ByName.TryGetValue(name, out var kind) ? kind : throw new FormatException($"Unknown timeline kind '{name}'.");
}
