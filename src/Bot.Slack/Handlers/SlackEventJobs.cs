using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Slack.Handlers;

/// <summary>
/// A Slack event as a durable outbox job: one per <c>event_id</c>, so a retried delivery (Slack retries an event it did
/// not see acknowledged in 3 s) is kept once, whichever replica gets it, and a crash before the handler ran loses nothing.
/// </summary>
public sealed record SlackEventJob(ReactionAdded Reaction) : IJob<SlackEventJob>
{
    public static string Kind => "slack.event";

    public static string Description => "handle a Slack event";

    public static JsonTypeInfo<SlackEventJob> Json => SlackEventJsonContext.Default.SlackEventJob;

    [JsonIgnore]
    public string Key => $"slack:event:{Reaction.EventId}";

    [JsonIgnore]
    public string OrderingKey => Key;
}

/// <summary>Runs an event's handlers (SlackNet's <c>IEventHandler&lt;T&gt;</c>) when its job comes up.</summary>
public sealed class SlackEventJobHandler(IEnumerable<IEventHandler<ReactionAdded>> reactions) : IJobHandler<SlackEventJob>
{
    public async Task HandleAsync(SlackEventJob job, EffectJob run, CancellationToken cancellationToken)
    {
        foreach (var handler in reactions)
        {
            await handler.Handle(job.Reaction);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SlackEventJob))]
internal sealed partial class SlackEventJsonContext : JsonSerializerContext;
