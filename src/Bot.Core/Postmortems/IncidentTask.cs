namespace Bot.Core.Postmortems;

/// <summary>A corrective or preventive task filed from an incident, with its tracker link and state once filed.</summary>
public sealed record IncidentTask(string Kind, string Title, string? Url = null, string? State = null, string? Assignee = null)
{
    public const string Corrective = "corrective";
    public const string Preventive = "preventive";
}
