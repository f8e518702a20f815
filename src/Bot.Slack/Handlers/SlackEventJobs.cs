using System.Text.Json;
using System.Text.Json.Serialization;
using Bot.Core.Effects;

namespace Bot.Slack.Handlers;

/// <summary>
/// Slack events as durable outbox jobs: one per <c>event_id</c>, so a retried delivery (Slack retries an event it did
/// not see acknowledged in 3 s) is kept once, whichever replica gets it, and a crash before the handler ran loses nothing.
/// </summary>
public static class SlackEventJobs
{
    public const string Kind = "slack.event";

    public static EffectJob For(ReactionAdded reaction, DateTimeOffset now) =>
        new($"slack:event:{reaction.EventId}", Kind, $"slack:event:{reaction.EventId}", JsonSerializer.Serialize(reaction, SlackEventJsonContext.Default.ReactionAdded), now);
}

/// <summary>Runs an event's handlers (SlackNet's <c>IEventHandler&lt;T&gt;</c>) when its job comes up.</summary>
public sealed class SlackEventJobHandler(IEnumerable<IEventHandler<ReactionAdded>> reactions) : IEffectHandler
{
    public string Kind => SlackEventJobs.Kind;

    public async Task HandleAsync(EffectJob job, CancellationToken cancellationToken)
    {
        var reaction = JsonSerializer.Deserialize(job.Payload, SlackEventJsonContext.Default.ReactionAdded)
            ?? throw new PermanentEffectException("The event job's payload is empty.");
        foreach (var handler in reactions)
        {
            await handler.Handle(reaction);
        }
    }
}

[JsonSerializable(typeof(ReactionAdded))]
internal sealed partial class SlackEventJsonContext : JsonSerializerContext;
