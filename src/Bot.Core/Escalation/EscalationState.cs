namespace Bot.Core.Escalation;

/// <summary>
/// One policy's escalation on one incident, as stored: which run it is (a policy paged again starts a new run), its
/// status, the next step to fire (<see cref="Cycle"/>, <see cref="Step"/>), and who was paged so far.
/// </summary>
public sealed record EscalationState(long Incident, string Policy, int Run, string Status, int Cycle, int Step, IReadOnlyList<string> Paged, DateTimeOffset UpdatedAt)
{
    public const string Active = "active";
    public const string Acknowledged = "acknowledged";
    public const string Exhausted = "exhausted";
    public const string Stopped = "stopped";

    public bool IsActive => Status == Active;
}

/// <summary>The payload of an escalation step job.</summary>
public sealed record StepPayload(long Incident, string Policy, int Run, int Cycle, int Step);

/// <summary>The payload of a page: invite the person to the incident channel and send them a direct message.</summary>
public sealed record PagePayload(long Incident, string User, string Text);

/// <summary>A user group to page at a step: its members are asked of the chat when the job runs.</summary>
public sealed record GroupPagePayload(long Incident, string Policy, int Run, int Cycle, int Step, string Group, string Where);
