using Bot.Core.Incidents;
using Bot.Core.Postmortems;

namespace Bot.Core.Ports;

/// <summary>
/// Where incidents, alerts, timelines and outbox jobs live. Writes run as units of work that are committed
/// before the returned task completes; reads see committed data.
/// </summary>
public interface IIncidentStore
{
    /// <summary>
    /// Runs <paramref name="work"/> in a unit of work and completes after it is committed. An exception thrown by
    /// the work undoes what it did and is rethrown; a store failure throws <see cref="StoreUnavailableException"/>.
    /// </summary>
    Task<T> WriteAsync<T>(Func<IIncidentSession, T> work, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, for a person waiting on the answer (a slash command): it goes ahead of queued
    /// bulk work such as an alert storm's webhooks.
    /// </summary>
    Task<T> WriteInteractiveAsync<T>(Func<IIncidentSession, T> work, CancellationToken cancellationToken = default);

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

    /// <summary>When the earliest outbox job that could be claimed falls due (past when it already has); null when none waits.</summary>
    Task<DateTimeOffset?> NextDueAtAsync(CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="StoreUnavailableException"/> unless the store answers.</summary>
    Task CheckAsync(CancellationToken cancellationToken = default);

    /// <summary>Raised after a commit that added outbox jobs.</summary>
    event Action? JobsEnqueued;
}
