using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>What every new incident gets, in order: its channel, the pinned summary, the announcement; and update reminders.</summary>
public static class IncidentOpening
{
    public static void EnqueueEffects(IIncidentSession session, Incident incident, TimeSpan updateEvery)
    {
        UpdateReminders.Schedule(session, incident, updateEvery);
        foreach (var kind in new[] { EffectKinds.OpenChannel, EffectKinds.PostSummary, EffectKinds.Announce })
        {
            session.Enqueue(new EffectJob($"{incident.Key}:{kind}", kind, incident.Key, ChatPayload.For(incident.Number), session.Now));
        }
    }
}
