using Bot.Core.Alerts;
using Bot.Core.Escalation;
using Bot.Core.Incidents;

namespace Bot.Core.Intake;

/// <summary>
/// What the grouping stage does in a unit of work: find the open incident of a group, open one, store and find alerts;
/// and what it starts: escalations and chat jobs.
/// </summary>
public interface IIntakeSession : IEscalationSession
{
    /// <summary>
    /// The group's open incident, if any, with those of these alerts it holds, by fingerprint: one read for a webhook's
    /// alerts (none when there is no open incident). A set: an alert sent twice in a webhook is looked up once. The
    /// alerts come in a new dictionary (by ordinal fingerprint), the caller's to keep and change.
    /// </summary>
    (Incident? Incident, Dictionary<string, KnownAlert> Alerts) FindOpenIncident(string groupKey, IReadOnlySet<string> fingerprints);

    /// <summary>Saves a new incident and assigns its number.</summary>
    void InsertIncident(Incident incident);

    /// <summary>The alert with this fingerprint in the newest incident of this group, open or not.</summary>
    KnownAlert? FindLatestAlert(string groupKey, string fingerprint);

    /// <summary>
    /// Saves an alert of the incident. <paramref name="isNew"/>: this unit read that the incident does not hold it (under
    /// the incident's lock), so the store may insert it without looking; should it be there after all, the write fails.
    /// </summary>
    void UpsertAlert(long incidentNumber, string groupKey, Alert alert, bool isNew);
}
