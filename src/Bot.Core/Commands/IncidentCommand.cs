using Bot.Core.Incidents;

namespace Bot.Core.Commands;

/// <summary>A parsed <c>/incident</c> command. Which fields are set depends on <see cref="Name"/>.</summary>
public sealed record IncidentCommand(string Name)
{
    public string? Text { get; init; }

    public Severity? Severity { get; init; }

    public string? Team { get; init; }

    public UserRef? User { get; init; }

    /// <summary>For roles: the role's name; for tasks: corrective or preventive.</summary>
    public string? Role { get; init; }

    /// <summary>For notes: when it happened, if backdated.</summary>
    public DateTimeOffset? At { get; init; }
}
