namespace Bot.Core.Incidents;

/// <summary>Where an incident is in its life. Every status but <see cref="Resolved"/> is open.</summary>
public enum IncidentStatus
{
    Triggered,
    Acknowledged,
    Mitigated,
    Resolved,
}

public static class IncidentStatusText
{
    public static string Name(this IncidentStatus status) => status switch
    {
        IncidentStatus.Triggered => "triggered",
        IncidentStatus.Acknowledged => "acknowledged",
        IncidentStatus.Mitigated => "mitigated",
        IncidentStatus.Resolved => "resolved",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static IncidentStatus? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "triggered" => IncidentStatus.Triggered,
        "acknowledged" => IncidentStatus.Acknowledged,
        "mitigated" => IncidentStatus.Mitigated,
        "resolved" => IncidentStatus.Resolved,
        _ => null,
    };
}
