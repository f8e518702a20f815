
namespace Bot.Core.Incidents;

/// <summary>
/// What the store holds, counted for the bot's gauges: incidents by severity and status (resolved ones included, so
/// their sum is how many were ever opened), outbox jobs not done by kind, state and lane, and each lane's job due
/// longest ago and not started, by the lane's name (the lanes with none due are not listed): a provider that hangs holds
/// its own lane's jobs, while the others' flow.
/// </summary>
public sealed record StoreStats(
    IReadOnlyList<IncidentCount> Incidents,
    IReadOnlyList<JobCount> Jobs,
    IReadOnlyList<LaneDue> OldestDueByLane)
{
    /// <summary>When the job due longest ago and not started, of any lane, was due; null when none is due.</summary>
    public DateTimeOffset? OldestDueAt => OldestDueByLane.Count == 0 ? null : OldestDueByLane.Min(l => l.DueAt);

    /// <summary>
    /// Each lane's job not done that fell due longest ago, by the lane's name (the lanes with none are not listed): waiting
    /// for a slot, claimed, running, or between tries; a job tried before counts from when it first fell due. Unlike
    /// <see cref="OldestDueByLane"/>, a provider that fails or hangs on each try shows here however few its pages are:
    /// they wait between tries, or claimed behind the one it holds, never long in the store's queue.
    /// </summary>
    public IReadOnlyList<LaneDue> OldestUndoneByLane { get; init; } = [];

    /// <summary>Each watched heartbeat: when it last beat, and whether it is missed now.</summary>
    public IReadOnlyList<HeartbeatStatus> Heartbeats { get; init; } = [];
}

public sealed record HeartbeatStatus(string Name, DateTimeOffset LastBeatAt, bool Missed);

public sealed record IncidentCount(Severity Severity, IncidentStatus Status, long Count);

/// <param name="State"><c>pending</c> (waiting, due or not), <c>running</c> (claimed) or <c>failed</c> (for good).</param>
/// <param name="Lane">The worker's lane that runs them, by its name (<c>phone</c>, <c>email</c>, <c>default</c>...).</param>
public sealed record JobCount(string Kind, string State, long Count, string Lane);

/// <summary>The job of a lane (by its name) due longest ago and not started: due at <paramref name="DueAt"/>.</summary>
public sealed record LaneDue(string Lane, DateTimeOffset DueAt);
