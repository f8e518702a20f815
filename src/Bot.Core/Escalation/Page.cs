using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Escalation;

/// <summary>Page one person at one escalation step (<see cref="Step"/>: the step's key): a direct message with an Acknowledge button.</summary>
public sealed record PageJob(long Incident, string User, string Text, string Step) : IIncidentJob, IJob<PageJob>
{
    public static string Kind => "escalation.page";

    public static string Description => "page a responder";

    public static JobLane Lane => JobLane.ChatPaging;

    public static JsonTypeInfo<PageJob> Json => EscalationJsonContext.Default.PageJob;

    [JsonIgnore]
    public string Key => $"{Step}:page:{User}";

    /// <summary>Its own: the page goes at once, not after the incident's channel and summary.</summary>
    [JsonIgnore]
    public string OrderingKey => Key;
}

/// <summary>A page's direct message, with an Acknowledge button; it needs no channel, so it goes at once.</summary>
public sealed class PageHandler(IIncidentReads reads, IChat chat) : ChatJobHandler<PageJob>(reads)
{
    protected override async Task HandleAsync(PageJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        if (incident.IsOpen)
        {
            var message = new ChatMessage($"{job.Text}{(IncidentMessages.ChannelLink(incident) is { } channel ? $" Join {channel}." : "")}")
            {
                Buttons = [new ChatButton(IncidentMessages.AcknowledgeAction, "Acknowledge", incident.Key)],
            };
            await chat.DirectMessageAsync(job.User, message, run.Key, cancellationToken);
            Escalator.CountPage(job.Step, NotificationRule.Chat);
        }
    }
}
