using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Chat;

/// <summary>
/// Status-update reminders: a durable job per incident, due <see cref="IncidentOptions.UpdateEvery"/> after the last
/// update (or the opening). Reminders have their own ordering key, so a waiting reminder never holds back the
/// incident's messages. The key names the due time: scheduling the same reminder twice keeps one.
/// </summary>
public static class UpdateReminders
{
    public static void Schedule(IIncidentSession session, Incident incident, TimeSpan every)
    {
        if (every <= TimeSpan.Zero || !incident.IsOpen)
        {
            return;
        }

        var due = (incident.LastUpdateAt ?? incident.CreatedAt) + every;
        if (due <= session.Now)
        {
            due = session.Now + every;
        }

        session.Enqueue(new EffectJob(
            $"{incident.Key}:reminder:{due.ToUnixTimeMilliseconds()}", EffectKinds.UpdateReminder, $"{incident.Key}:reminders", ChatPayload.For(incident.Number), due));
    }
}

/// <summary>Reminds the lead when no update was posted in time, then schedules the next reminder.</summary>
public sealed class UpdateReminderHandler(IIncidentStore store, IChat chat, IOptions<IncidentOptions> options, TimeProvider time) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.UpdateReminder;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var every = options.Value.UpdateEvery;
        if (!incident.IsOpen || every <= TimeSpan.Zero || incident.ChannelId is null)
        {
            return; // resolved (reopening schedules anew), turned off, or no channel to remind in
        }

        var now = time.GetUtcNow();
        var silentSince = incident.LastUpdateAt ?? incident.CreatedAt;
        if (silentSince + every <= now)
        {
            var who = incident.Lead is { } lead ? ChatMarkup.User(lead.Id) : "No lead is named yet";
            var minutes = (int)(now - silentSince).TotalMinutes;
            await chat.PostAsync(
                incident.ChannelId,
                new ChatMessage($"{who}: no status update on {incident.Key} for {minutes} min. Post one with {options.Value.CommandName} update <text>."),
                job.Key,
                cancellationToken);
        }

        // The next reminder: after the latest update if one came meanwhile, else one period from now.
        await Store.WriteAsync(
            s =>
            {
                if (s.GetIncident(incident.Number) is { } current)
                {
                    UpdateReminders.Schedule(s, current, every);
                }

                return 0;
            },
            cancellationToken);
    }
}
