using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Postmortems;

/// <summary>The postmortem job: one per request, in their own order, so a later draft never overtakes an earlier one.</summary>
public static class PostmortemJobs
{
    public static EffectJob For(Incident incident, DateTimeOffset now) =>
        new($"{incident.Key}:postmortem:{now.ToUnixTimeMilliseconds()}", EffectKinds.Postmortem, $"{incident.Key}:postmortem", ChatPayload.For(incident.Number), now);
}

/// <summary>Renders the incident's postmortem draft as it is now, publishes it, and posts the link in its channel.</summary>
public sealed class PublishPostmortemHandler(IIncidentStore store, IPostmortemPublisher publisher, IChat chat, IOptions<PostmortemOptions> options)
    : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.Postmortem;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var timeline = await Store.GetTimelineAsync(incident.Number, cancellationToken);
        var alerts = await Store.GetAlertsAsync(incident.Number, cancellationToken);
        var tasks = await Store.GetTasksAsync(incident.Number, cancellationToken);
        var markdown = PostmortemRenderer.Render(incident, timeline, alerts, tasks);
        var path = options.Value.PathFor(incident, PostmortemRenderer.Start(incident, alerts));
        var link = await publisher.PublishAsync(new PostmortemDraft(incident.Key, incident.Title, path, markdown), cancellationToken);
        if (incident.ChannelId is { } channel)
        {
            await chat.PostAsync(channel, new ChatMessage($"Postmortem draft of {incident.Key}: {link}"), job.Key, cancellationToken);
        }
    }
}
