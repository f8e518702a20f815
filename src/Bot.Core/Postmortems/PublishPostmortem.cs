using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bot.Core.Postmortems;

/// <summary>
/// Write the incident's postmortem draft as the incident stands when the job runs, and post its link. One per request,
/// in their own order, so a later draft never overtakes an earlier one.
/// </summary>
public sealed record PublishPostmortemJob(long Incident, long RequestedAt) : IIncidentJob, IJob<PublishPostmortemJob>
{
    public static string Kind => "postmortem.publish";

    public static string Description => "write the postmortem draft";

    public static JsonTypeInfo<PublishPostmortemJob> Json => PostmortemJsonContext.Default.PublishPostmortemJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:postmortem:{RequestedAt}";

    [JsonIgnore]
    public string OrderingKey => $"{Incidents.Incident.FormatKey(Incident)}:postmortem";

    public static PublishPostmortemJob For(long incident, DateTimeOffset now) => new(incident, now.ToUnixTimeMilliseconds());
}

/// <summary>Renders the incident's postmortem draft as it is now, publishes it, and posts the link in its channel.</summary>
public sealed class PublishPostmortemHandler(IIncidentReads reads, IPostmortemPublisher publisher, IChat chat, IOptions<PostmortemOptions> options)
    : ChatJobHandler<PublishPostmortemJob>(reads)
{
    protected override async Task HandleAsync(PublishPostmortemJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var markdown = await PostmortemRenderer.RenderAsync(incident, Reads, cancellationToken);
        var path = options.Value.PathFor(incident, PostmortemRenderer.Start(incident));
        var link = await publisher.PublishAsync(new PostmortemDraft(incident.Key, incident.Title, path, markdown), cancellationToken);
        if (incident.ChannelId is { } channel)
        {
            await chat.PostAsync(channel, new ChatMessage($"Postmortem draft of {incident.Key}: {link}"), run.Key, cancellationToken);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PublishPostmortemJob))]
public sealed partial class PostmortemJsonContext : JsonSerializerContext;

public static class PostmortemJobs
{
    public static IServiceCollection AddPostmortemJobs(this IServiceCollection services) =>
        services.AddJob<PublishPostmortemJob, PublishPostmortemHandler>();
}
