namespace Bot.Slack.WebApi;

/// <summary>A message to post or update.</summary>
public sealed class Message
{
    public string Channel { get; set; } = "";
    public string Text { get; set; } = "";

    /// <summary>Block Kit blocks as a JSON array, or null.</summary>
    public string? Blocks { get; set; }

    public string? ThreadTs { get; set; }

    /// <summary>
    /// Our idempotency key, sent as the message's metadata (<c>incident_bot_post</c>), so that a retry can find the
    /// message an earlier try posted (<see cref="IConversationsApi.FindPosted"/>) instead of posting it twice.
    /// </summary>
    public string? IdempotencyKey { get; set; }
}

public sealed record PostMessageResponse(string Channel, string Ts);

/// <summary><c>chat.*</c> methods.</summary>
public interface IChatApi
{
    Task<PostMessageResponse> PostMessage(Message message, CancellationToken cancellationToken = default);

    Task Update(string ts, Message message, CancellationToken cancellationToken = default);

    Task PostEphemeral(string userId, Message message, CancellationToken cancellationToken = default);
}

internal sealed class ChatApi(ISlackApiClient client, ChannelPacer pacer) : IChatApi
{
    public Task<PostMessageResponse> PostMessage(Message message, CancellationToken cancellationToken = default) =>
        pacer.RunAsync(
            message.Channel,
            async () =>
            {
                var root = await client.Post("chat.postMessage", Args(message), cancellationToken);
                return new PostMessageResponse(root.GetProperty("channel").GetString()!, root.GetProperty("ts").GetString()!);
            },
            cancellationToken);

    public Task Update(string ts, Message message, CancellationToken cancellationToken = default) =>
        client.Post("chat.update", Args(message).Add("ts", ts), cancellationToken);

    public Task PostEphemeral(string userId, Message message, CancellationToken cancellationToken = default) =>
        client.Post("chat.postEphemeral", Args(message).Add("user", userId), cancellationToken);

    public const string MetadataEventType = "incident_bot_post";

    private static SlackArgs Args(Message m) =>
        new SlackArgs().Add("channel", m.Channel).Add("text", m.Text).Add("blocks", m.Blocks is null ? null : new RawJson(m.Blocks)).Add("thread_ts", m.ThreadTs)
            .Add("metadata", m.IdempotencyKey is null ? null : new RawJson(Metadata(m.IdempotencyKey)));

    private static string Metadata(string key)
    {
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("event_type", MetadataEventType);
            w.WriteStartObject("event_payload");
            w.WriteString("key", key);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
