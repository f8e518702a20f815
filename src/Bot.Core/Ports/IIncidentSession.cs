using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Postmortems;

namespace Bot.Core.Ports;

/// <summary>
/// The store's operations inside one write unit of work. Everything done through one session commits together
/// or not at all. Calls are synchronous: a session lives on the store's writer and must not wait on I/O of its own.
/// </summary>
public interface IIncidentSession
{
    /// <summary>The unit of work's "now": one time for all it records.</summary>
    DateTimeOffset Now { get; }

    Incident? FindOpenIncident(string groupKey);

    Incident? GetIncident(long number);

    /// <summary>Saves a new incident and assigns its number.</summary>
    void InsertIncident(Incident incident);

    void UpdateIncident(Incident incident);

    /// <summary>The alert with this fingerprint in this incident, if any.</summary>
    StoredAlert? FindAlert(long incidentNumber, string fingerprint);

    /// <summary>The alert with this fingerprint in the newest incident of this group, open or not.</summary>
    StoredAlert? FindLatestAlert(string groupKey, string fingerprint);

    void UpsertAlert(long incidentNumber, string groupKey, Alert alert);

    void AppendTimeline(long incidentNumber, TimelineEntry entry);

    /// <summary>Appends the entry unless one with the same time, author and text is there; false when it was.</summary>
    bool AppendTimelineOnce(long incidentNumber, TimelineEntry entry);

    /// <summary>Adds a task to the incident and gives it the next number.</summary>
    IncidentTask AddTask(long incidentNumber, IncidentTask task);

    /// <summary>Records where a task was filed (its issue link) and its state.</summary>
    void UpdateTask(long incidentNumber, int taskNumber, string url, string state);

    /// <summary>The escalations of an incident, one per policy (the latest run).</summary>
    IReadOnlyList<Escalation.EscalationState> GetEscalations(long incidentNumber);

    /// <summary>Creates or replaces the escalation of (incident, policy).</summary>
    void SaveEscalation(Escalation.EscalationState escalation);

    /// <summary>Moves a job that is still waiting to <paramref name="dueAt"/>; false when there is no such waiting job.</summary>
    bool RescheduleJob(string key, DateTimeOffset dueAt);

    /// <summary>Adds a job to the outbox; false (and nothing added) when a job with its key exists.</summary>
    bool Enqueue(EffectJob job);

    /// <summary>Claims up to <paramref name="max"/> due jobs, oldest first, at most one per ordering key.</summary>
    IReadOnlyList<EffectJob> ClaimDueJobs(int max, TimeSpan lease);

    void CompleteJob(long jobId);

    /// <summary>Hands back a claimed job that was not started (shutting down): it may be claimed again at once, by any replica.</summary>
    void ReleaseJob(long jobId);

    void RetryJob(long jobId, DateTimeOffset dueAt, string error);

    void FailJob(long jobId, string error);

    /// <summary>Deletes up to <paramref name="max"/> done jobs completed before <paramref name="before"/>; returns how many.</summary>
    int DeleteDoneJobs(DateTimeOffset before, int max);
}
