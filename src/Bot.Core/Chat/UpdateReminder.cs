using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Chat;

/// <summary>
/// Remind the lead to post a status update: due <see cref="IncidentOptions.UpdateEvery"/> after the last update (or the
/// opening). Its own ordering key, so a waiting reminder never holds back the incident's messages; the key names the due
/// time, so scheduling the same reminder twice keeps one.
/// </summary>
public sealed record UpdateReminderJob(long Incident, long Due) : IChatJob, IDelayedJob, IJob<UpdateReminderJob>
{
    public static string Kind => "incident.update_reminder";

    public static string Description => "remind the lead to post an update";

    public static JsonTypeInfo<UpdateReminderJob> Json => ChatJsonContext.Default.UpdateReminderJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:reminder:{Due}";

    [JsonIgnore]
    public string OrderingKey => $"{Incidents.Incident.FormatKey(Incident)}:reminders";

    [JsonIgnore]
    public DateTimeOffset DueAt => DateTimeOffset.FromUnixTimeMilliseconds(Due);

    /// <summary>Asks for the incident's next reminder, unless it is resolved or reminders are off.</summary>
    public static void Schedule(IOutbox outbox, Incident incident, TimeSpan every)
    {
        if (every <= TimeSpan.Zero || !incident.IsOpen)
        {
            return;
        }

        var due = (incident.LastUpdateAt ?? incident.CreatedAt) + every;
        if (due <= outbox.Now)
        {
            due = outbox.Now + every;
        }

        outbox.Enqueue(new UpdateReminderJob(incident.Number, due.ToUnixTimeMilliseconds()));
    }
}

/// <summary>Reminds the lead (a mention) when no update was posted in time, then schedules the next reminder.</summary>
public sealed class UpdateReminderHandler(IIncidentReads reads, IUnitOfWork<IChatSession> store, IChat chat, IOptions<IncidentOptions> options, TimeProvider time)
    : ChatJobHandler<UpdateReminderJob>(reads)
{
    protected override async Task HandleAsync(UpdateReminderJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
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
                run.Key,
                cancellationToken);
        }

        // The next reminder: after the latest update if one came meanwhile, else one period from now.
        await store.WriteAsync(
            s =>
            {
                if (s.GetIncident(incident.Number) is { } current)
                {
                    UpdateReminderJob.Schedule(s, current, every);
                }

                return 0;
            },
            cancellationToken);
    }
}
