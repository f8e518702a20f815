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
