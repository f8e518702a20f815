using System.Text.Json;

namespace Bot.Slack.WebApi;

public sealed record Conversation(string Id, string Name)
{
    /// <summary>Who made the channel (a user id), when known.</summary>
    public string? Creator { get; init; }

    /// <summary>When the channel was made, when known (Slack counts whole seconds).</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>The channel's topic, when known.</summary>
    public string? Topic { get; init; }
}

public sealed record ConversationMessage(string Ts, string? User, string Text);

/// <summary><c>conversations.*</c> methods.</summary>
public interface IConversationsApi
{
    Task<Conversation> Create(string name, bool isPrivate = false, CancellationToken cancellationToken = default);

    Task Invite(string channelId, IEnumerable<string> userIds, CancellationToken cancellationToken = default);

    Task SetTopic(string channelId, string topic, CancellationToken cancellationToken = default);

    Task SetPurpose(string channelId, string purpose, CancellationToken cancellationToken = default);

    Task Join(string channelId, CancellationToken cancellationToken = default);

    Task<Conversation> Info(string channelId, CancellationToken cancellationToken = default);

    /// <summary>The message at <paramref name="ts"/> exactly, or null.</summary>
    Task<ConversationMessage?> Message(string channelId, string ts, CancellationToken cancellationToken = default);

    /// <summary>
    /// The ts of a message we posted with this idempotency key among the channel's latest <paramref name="within"/>
    /// messages (<c>conversations.history</c> with their metadata), or null.
    /// </summary>
    Task<string?> FindPosted(string channelId, string idempotencyKey, int within = 100, CancellationToken cancellationToken = default);

    /// <summary>The public, unarchived channel with this name (<c>conversations.list</c>, page by page), or null.</summary>
    Task<Conversation?> FindByName(string name, CancellationToken cancellationToken = default);

    /// <summary>The direct-message channel with a user (<c>conversations.open</c>), for reading its history.</summary>
    Task<string> OpenDirect(string userId, CancellationToken cancellationToken = default);
}

internal sealed class ConversationsApi(ISlackApiClient client) : IConversationsApi
{
    public async Task<Conversation> Create(string name, bool isPrivate = false, CancellationToken cancellationToken = default) =>
        Read((await client.Post("conversations.create", new SlackArgs().Add("name", name).Add("is_private", isPrivate), cancellationToken)).GetProperty("channel"));

    public Task Invite(string channelId, IEnumerable<string> userIds, CancellationToken cancellationToken = default) =>
        client.Post("conversations.invite", new SlackArgs().Add("channel", channelId).Add("users", string.Join(",", userIds)), cancellationToken);

    public Task SetTopic(string channelId, string topic, CancellationToken cancellationToken = default) =>
        client.Post("conversations.setTopic", new SlackArgs().Add("channel", channelId).Add("topic", topic), cancellationToken);

    public Task SetPurpose(string channelId, string purpose, CancellationToken cancellationToken = default) =>
        client.Post("conversations.setPurpose", new SlackArgs().Add("channel", channelId).Add("purpose", purpose), cancellationToken);

    public Task Join(string channelId, CancellationToken cancellationToken = default) =>
        client.Post("conversations.join", new SlackArgs().Add("channel", channelId), cancellationToken);

    public async Task<Conversation> Info(string channelId, CancellationToken cancellationToken = default) =>
        Read((await client.Get("conversations.info", new SlackArgs().Add("channel", channelId), cancellationToken)).GetProperty("channel"));

    public async Task<ConversationMessage?> Message(string channelId, string ts, CancellationToken cancellationToken = default)
    {
        var root = await client.Get(
            "conversations.history", new SlackArgs().Add("channel", channelId).Add("latest", ts).Add("inclusive", true).Add("limit", 1), cancellationToken);
        var message = root.GetProperty("messages").EnumerateArray().FirstOrDefault(m => m.GetProperty("ts").GetString() == ts);
        return message.ValueKind == JsonValueKind.Undefined
            ? null
            : new ConversationMessage(ts, message.TryGetProperty("user", out var u) ? u.GetString() : null, message.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "");
    }

    public async Task<string?> FindPosted(string channelId, string idempotencyKey, int within = 100, CancellationToken cancellationToken = default)
    {
        var root = await client.Get(
            "conversations.history", new SlackArgs().Add("channel", channelId).Add("limit", within).Add("include_all_metadata", true), cancellationToken);
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            if (message.TryGetProperty("metadata", out var metadata)
                && metadata.TryGetProperty("event_type", out var type) && type.GetString() == ChatApi.MetadataEventType
                && metadata.TryGetProperty("event_payload", out var payload) && payload.TryGetProperty("key", out var key)
                && key.GetString() == idempotencyKey)
            {
                return message.GetProperty("ts").GetString();
            }
        }

        return null;
    }

    public async Task<Conversation?> FindByName(string name, CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var root = await client.Get(
                "conversations.list",
                new SlackArgs().Add("types", "public_channel").Add("exclude_archived", true).Add("limit", 1000).Add("cursor", cursor),
                cancellationToken);
            foreach (var channel in root.GetProperty("channels").EnumerateArray())
            {
                if (channel.TryGetProperty("name", out var n) && n.GetString() == name)
                {
                    return Read(channel);
                }
            }

            cursor = root.TryGetProperty("response_metadata", out var meta) && meta.TryGetProperty("next_cursor", out var next) ? next.GetString() : null;
        }
        while (!string.IsNullOrEmpty(cursor));

        return null;
    }

    public async Task<string> OpenDirect(string userId, CancellationToken cancellationToken = default) =>
        (await client.Post("conversations.open", new SlackArgs().Add("users", userId), cancellationToken)).GetProperty("channel").GetProperty("id").GetString()!;

    private static Conversation Read(JsonElement channel) => new(channel.GetProperty("id").GetString()!, channel.GetProperty("name").GetString() ?? "")
    {
        Creator = channel.TryGetProperty("creator", out var creator) ? creator.GetString() : null,
        Created = channel.TryGetProperty("created", out var created) && created.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null,
        Topic = channel.TryGetProperty("topic", out var topic) && topic.ValueKind == JsonValueKind.Object && topic.TryGetProperty("value", out var value) ? value.GetString() : null,
    };
}
