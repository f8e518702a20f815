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

    Task<IReadOnlyList<StoredAlert>> GetAlertsAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>The incident's first <paramref name="limit"/> alerts, in the order of <see cref="GetAlertsAsync"/>, read without reading the rest.</summary>
    Task<IReadOnlyList<StoredAlert>> GetFirstAlertsAsync(long incidentNumber, int limit, CancellationToken cancellationToken = default);

    /// <summary>The timeline in time order (ties in the order recorded).</summary>
    Task<IReadOnlyList<TimelineEntry>> GetTimelineAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>The entries the bot recorded in [<paramref name="from"/>, <paramref name="to"/>), in time order.</summary>
    Task<IReadOnlyList<TimelineEntry>> GetTimelineRecordedAsync(long incidentNumber, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IncidentTask>> GetTasksAsync(long incidentNumber, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="StoreUnavailableException"/> unless the store answers.</summary>
    Task CheckAsync(CancellationToken cancellationToken = default);
}
