namespace Bot.Core.Incidents;

/// <summary>A corrective or preventive task filed from an incident, with its tracker link and state once filed.</summary>
public sealed record IncidentTask(string Kind, string Title, string? Url = null, string? State = null, string? Assignee = null)
{
    public string Title { get; init; } = Text.SafeText.Clean(Title);

    /// <summary>The task's number within the incident (1, 2, ...); 0 until stored.</summary>
    public int Number { get; init; }

    public const string Corrective = "corrective";
    public const string Preventive = "preventive";
}
