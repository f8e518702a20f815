namespace Bot.Core.Escalation;

/// <summary>
/// What pages and calendars read of escalation without changing it: committed escalations and on-call overrides, read
/// outside a unit of work (so a page view or a calendar feed never waits in the writer's queue behind a storm).
/// </summary>
public interface IEscalationReads
{
    Task<IReadOnlyList<EscalationState>> ListEscalationsAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>
    /// The incident's pages not done (<see cref="PageUnderWay"/>: scheduled, waiting, being sent, or between tries), the
    /// one due longest ago first, at most <paramref name="limit"/>; those done or failed for good are on the timeline.
    /// </summary>
    Task<IReadOnlyList<PageUnderWay>> ListPagesUnderWayAsync(long incidentNumber, int limit, CancellationToken cancellationToken = default);

    /// <summary>The team's overrides taken from chat that end after <paramref name="after"/>, in the order taken.</summary>
    Task<IReadOnlyList<OverrideOptions>> ListOverridesAsync(string team, DateTimeOffset after, CancellationToken cancellationToken = default);
}
