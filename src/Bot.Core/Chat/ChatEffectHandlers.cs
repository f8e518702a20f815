using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>Shared steps of the chat jobs: read the job's incident, and require its channel.</summary>
public abstract class ChatEffectHandler(IIncidentStore store) : IEffectHandler
{
    public abstract string Kind { get; }

    protected IIncidentStore Store => store;

    public async Task HandleAsync(EffectJob job, CancellationToken cancellationToken)
    {
        var payload = ChatPayload.Read(job.Payload);
        var incident = await store.GetIncidentAsync(payload.Incident, cancellationToken)
            ?? throw new PermanentEffectException($"{Incident.FormatKey(payload.Incident)} does not exist.");
        await HandleAsync(job, incident, payload, cancellationToken);
    }

    protected abstract Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken);

    /// <summary>
    /// The incident's channel. Jobs with their own ordering key can run before the channel exists: they come back
    /// later, and give up (reported on the timeline) only if the channel never comes.
    /// </summary>
    protected static string ChannelOf(Incident incident) =>
        incident.ChannelId ?? throw new RetryLaterException($"{incident.Key} has no chat channel yet.", TimeSpan.FromSeconds(30));

    /// <summary>The pinned summary as the incident stands: its tally, and its first alerts read (never all of a storm's).</summary>
    protected async Task<ChatMessage> SummaryAsync(Incident incident, CancellationToken cancellationToken) =>
        IncidentMessages.Summary(incident, await store.GetFirstAlertsAsync(incident.Number, IncidentMessages.MaxAlertsShown, cancellationToken));
}

/// <summary>Creates the incident channel and records it on the incident.</summary>
public sealed class OpenChannelHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.OpenChannel;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        if (incident.ChannelId is not null)
        {
            return;
        }

        var name = IncidentChannelName.For(incident.Title, incident.CreatedAt, incident.Key);
        var channel = await chat.CreateChannelAsync(name, IncidentMessages.Topic(incident), job.Key, cancellationToken);
        await Store.WriteAsync(
            s =>
            {
                var current = s.GetIncident(incident.Number)!;
                if (current.ChannelId is null)
                {
                    s.AppendTimeline(current.Number, current.AttachChannel(channel.Id, channel.Name, s.Now));
                    s.UpdateIncident(current);
                }

                return true;
            },
            cancellationToken);
    }
}

/// <summary>Posts (and pins) the incident summary in the incident channel.</summary>
public sealed class PostSummaryHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.PostSummary;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var posted = await chat.PostAsync(ChannelOf(incident), await SummaryAsync(incident, cancellationToken), job.Key, cancellationToken);
        await Store.WriteAsync(
            s =>
            {
                var current = s.GetIncident(incident.Number)!;

                // Changes made while the summary was on its way are shown by a refresh.
                if (current.UpdatedAt > incident.UpdatedAt)
                {
                    s.Enqueue(DigestJobs.Refresh(current.Number, s.Now));
                }

                current.AttachSummary(posted.MessageId, s.Now);
                s.UpdateIncident(current);

                return 0;
            },
            cancellationToken);
    }
}

/// <summary>Updates the pinned summary and the channel topic in place with the incident as it is now.</summary>
public sealed class RefreshSummaryHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.RefreshSummary;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        if (incident.ChannelId is null || incident.SummaryMessageId is null)
        {
            return; // the summary is not posted yet; when it is, it shows the current state
        }

        await chat.UpdateAsync(new ChatMessageRef(incident.ChannelId, incident.SummaryMessageId), await SummaryAsync(incident, cancellationToken), cancellationToken);
        await chat.SetTopicAsync(incident.ChannelId, IncidentMessages.Topic(incident), cancellationToken);
    }
}

/// <summary>Announces the new incident in the incidents channel.</summary>
public sealed class AnnounceHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.Announce;

    protected override Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken) =>
        chat.AnnounceAsync(IncidentMessages.Announcement(incident), job.Key, cancellationToken);
}

/// <summary>Posts the digest of a window: the automatic timeline entries recorded in it (see <see cref="DigestJobs"/>).</summary>
public sealed class DigestHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public const int MaxLines = 20;

    public override string Kind => EffectKinds.Digest;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.FromUnixTimeMilliseconds(payload.From ?? 0);
        var to = DateTimeOffset.FromUnixTimeMilliseconds(payload.To ?? long.MaxValue / 2);
        var lines = (await Store.GetTimelineRecordedAsync(incident.Number, from, to, cancellationToken))
            .Where(e => e.Author.Id.StartsWith("source:", StringComparison.Ordinal) && e.RecordedAt > incident.CreatedAt) // the summary tells the opening
            .Select(e => $"{e.At.UtcDateTime:HH:mm:ss} UTC  {e.Text}")
            .ToList();
        if (lines.Count == 0)
        {
            return;
        }

        var text = string.Join("\n", lines.Take(MaxLines)) + (lines.Count > MaxLines ? $"\n... and {lines.Count - MaxLines} more updates (see the timeline)" : "");
        await chat.PostAsync(ChannelOf(incident), new ChatMessage(text), job.Key, cancellationToken);
    }
}

/// <summary>Posts a responder's text (status updates) in the incident channel or the incidents channel.</summary>
public sealed class PostTextHandler(IIncidentStore store, IChat chat) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.PostText;

    protected override Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var message = new ChatMessage(payload.Text ?? "");
        return payload.Announce
            ? chat.AnnounceAsync(message, job.Key, cancellationToken)
            : chat.PostAsync(ChannelOf(incident), message, job.Key, cancellationToken);
    }
}
