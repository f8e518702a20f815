using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>
/// Post a text in the incident's channel, or in the incidents channel when <see cref="Announce"/>: status updates,
/// paging mentions, links to issues and drafts, failures. <see cref="Key"/> says which one (the producer names it).
/// </summary>
public sealed record PostTextJob(long Incident, string Text, bool Announce, string Key) : IChatJob, IJob<PostTextJob>
{
    public static string Kind => "chat.post_text";

    public static string Description => "post a message";

    public static JsonTypeInfo<PostTextJob> Json => ChatJsonContext.Default.PostTextJob;

    [System.Text.Json.Serialization.JsonIgnore]
    public string OrderingKey => Incidents.Incident.FormatKey(Incident);

    /// <summary>A post in the incident's channel, keyed <c>INC-n:</c><paramref name="what"/>.</summary>
    public static PostTextJob InChannel(long incident, string what, string text) => new(incident, text, false, $"{Incidents.Incident.FormatKey(incident)}:{what}");
}

public sealed class PostTextHandler(IIncidentReads reads, IChat chat) : ChatJobHandler<PostTextJob>(reads)
{
    protected override Task HandleAsync(PostTextJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var message = new ChatMessage(job.Text ?? "");
        return job.Announce
            ? chat.AnnounceAsync(message, run.Key, cancellationToken)
            : chat.PostAsync(ChannelOf(incident), message, run.Key, cancellationToken);
    }
}
