using Bot.Core.Chat;

namespace Bot.Core.Escalation;

/// <summary>What escalation does in a unit of work: keep each policy's state on an incident, note and post what it paged, and set its timers.</summary>
public interface IEscalationSession : IChatSession
{
    /// <summary>The escalations of an incident, one per policy (the latest run).</summary>
    IReadOnlyList<EscalationState> GetEscalations(long incidentNumber);

    /// <summary>
    /// Whether the policy ever ran on the incident (running, acknowledged or over). Once true it stays true: an
    /// escalation is replaced by its next run, never removed, so a store may answer from what it saw committed.
    /// </summary>
    bool HasRun(long incidentNumber, string policy) => AnyOf(GetEscalations(incidentNumber), policy);

    /// <summary>Whether one of an incident's escalations is of the policy (policies compared without case).</summary>
    static bool AnyOf(IEnumerable<EscalationState> escalations, string policy) =>
        escalations.Any(e => e.Policy.Equals(policy, StringComparison.OrdinalIgnoreCase));

    /// <summary>Creates or replaces the escalation of (incident, policy).</summary>
    void SaveEscalation(EscalationState escalation);

    /// <summary>The overrides taken from chat for a team that have not ended by <paramref name="after"/>, oldest first.</summary>
    IReadOnlyList<OverrideOptions> GetOverrides(string team, DateTimeOffset after);

    /// <summary>Stores an override taken from chat.</summary>
    void AddOverride(string team, OverrideOptions over);

    /// <summary>
    /// Appends a page's entry (<see cref="Incidents.TimelineKind.Page"/>) unless one by the same author with the same text
    /// is there, whenever written; false when it was. For what a provider may say twice (a page's delivery).
    /// </summary>
    bool AppendPageEntryOnce(long incidentNumber, Incidents.TimelineEntry entry);

    /// <summary>Records that <paramref name="user"/> was paged at a step (once per step and person, however often asked).</summary>
    void RecordPage(string stepKey, string user, long incidentNumber, string policy, DateTimeOffset at);

    /// <summary>How many alerts the incident first saw since <paramref name="since"/> (a step's <c>ContinueIf</c>).</summary>
    int CountAlertsSince(long incidentNumber, DateTimeOffset since);

    /// <summary>Counts a turn of <paramref name="key"/> (a round-robin team) and returns its number, 1 for the first.</summary>
    long TakeTurn(string key);

    /// <summary>A person's own notification rules (<c>/incident notify</c>), or null when they set none.</summary>
    StoredRules? GetNotificationRules(string user);

    /// <summary>Saves a person's own rules; null forgets them (the settings' apply again).</summary>
    void SaveNotificationRules(string user, StoredRules? rules);

    /// <summary>Marks a page's acknowledge link used (by its hash); false when it was used already: a link works once.</summary>
    bool UseAckLink(string linkHash);
}
