using Bot.Core.Ports;

namespace Bot.Core.Incidents;

/// <summary>What the store answers outside a unit of work: committed incidents, alerts, timelines and tasks.</summary>
public interface IIncidentReads
{
    /// <summary>Incidents newest first.</summary>
    Task<IReadOnlyList<Incident>> ListIncidentsAsync(IncidentQuery query, CancellationToken cancellationToken = default);

    Task<Incident?> GetIncidentAsync(long number, CancellationToken cancellationToken = default);

    /// <summary>The incident whose chat channel this is, if any.</summary>
    Task<Incident?> FindIncidentByChannelAsync(string channelId, CancellationToken cancellationToken = default);

    /// <summary>
    /// All of the incident's alerts, as first seen. A storm's incident holds a million: the pipeline reads pages
    /// (<see cref="ListAlertsAsync"/>) and the tally; this is for tests and tools.
    /// </summary>
    Task<IReadOnlyList<StoredAlert>> GetAlertsAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>A page of the incident's alerts, read through an index without reading the rest.</summary>
    Task<IReadOnlyList<StoredAlert>> ListAlertsAsync(long incidentNumber, AlertQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The whole timeline in time order (ties in the order recorded). A storm writes an entry per webhook: the pipeline
    /// reads pages (<see cref="ListTimelineAsync"/>); this is for tests and tools.
    /// </summary>
    Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>A page of the timeline, read through an index without reading the rest.</summary>
    Task<IReadOnlyList<TimelineEntry>> ListTimelineAsync(long incidentNumber, TimelineQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// What alert senders did in a stretch of time: the first <paramref name="limit"/> entries written by a source
    /// (<see cref="Actor.Source"/>) that the bot recorded in [<paramref name="from"/>, <paramref name="to"/>) (first as
    /// recorded), in time order, and how many there are in all. Bounded by the stretch, not by the incident's timeline.
    /// </summary>
    Task<TimelineExcerpt> GetSourceActivityAsync(long incidentNumber, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IncidentTask>> GetTasksAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>The topic last set in the incident's channel (<see cref="Chat.IChatSession.SaveChannelTopic"/>); null before the first.</summary>
    Task<string?> GetChannelTopicAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>Counts of incidents and outbox jobs, for the bot's gauges (a few grouped counts through indexes).</summary>
    Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="StoreUnavailableException"/> unless the store answers.</summary>
    Task CheckAsync(CancellationToken cancellationToken = default);
}
