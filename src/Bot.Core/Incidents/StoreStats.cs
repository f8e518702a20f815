
namespace Bot.Core.Incidents;

/// <summary>
/// What the store holds, counted for the bot's gauges: incidents by severity and status (resolved ones included, so
/// their sum is how many were ever opened), outbox jobs not done by kind and state, and when the job due longest ago
/// was due.
/// </summary>
public sealed record StoreStats(
    IReadOnlyList<IncidentCount> Incidents,
    IReadOnlyList<JobCount> Jobs,
    DateTimeOffset? OldestDueAt)
{
    /// <summary>Each watched heartbeat: when it last beat, and whether it is missed now.</summary>
    public IReadOnlyList<HeartbeatStatus> Heartbeats { get; init; } = [];
}

public sealed record HeartbeatStatus(string Name, DateTimeOffset LastBeatAt, bool Missed);

public sealed record IncidentCount(Severity Severity, IncidentStatus Status, long Count);

/// <param name="State"><c>pending</c> (waiting, due or not), <c>running</c> (claimed) or <c>failed</c> (for good).</param>
public sealed record JobCount(string Kind, string State, long Count);
