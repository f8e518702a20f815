using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>What every new incident gets, in order: its channel, the pinned summary, the announcement; and update reminders.</summary>
public static class IncidentOpening
{
    public static void EnqueueEffects(IOutbox outbox, Incident incident, TimeSpan updateEvery)
    {
        UpdateReminderJob.Schedule(outbox, incident, updateEvery);
        outbox.Enqueue(new OpenChannelJob(incident.Number));
        outbox.Enqueue(new PostSummaryJob(incident.Number));
        outbox.Enqueue(new AnnounceJob(incident.Number));
    }

    /// <summary>After a change to the incident: its summary and topic are refreshed (one refresh per window).</summary>
    public static void Changed(IOutbox outbox, long incident) => outbox.Enqueue(RefreshSummaryJob.For(incident, outbox.Now));
}
