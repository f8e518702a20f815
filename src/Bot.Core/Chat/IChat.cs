namespace Bot.Core.Chat;

/// <summary>
/// The chat the bot works in: Slack, or the local chat when Slack is not configured. Every call carries an
/// idempotency key; an adapter that can, uses it so that a retried call does not act twice.
/// </summary>
public interface IChat
{
    /// <summary>Creates a channel named <paramref name="name"/> or, when taken, a suffixed variant.</summary>
    Task<ChatChannel> CreateChannelAsync(string name, string topic, string idempotencyKey, CancellationToken cancellationToken);

    Task<ChatMessageRef> PostAsync(string channelId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Replaces the content of a posted message (the pinned summary).</summary>
    Task UpdateAsync(ChatMessageRef message, ChatMessage content, CancellationToken cancellationToken);

    Task SetTopicAsync(string channelId, string topic, CancellationToken cancellationToken);

    /// <summary>Adds people to a channel; people already in it are no error.</summary>
    Task InviteAsync(string channelId, IReadOnlyList<string> userIds, CancellationToken cancellationToken);

    /// <summary>Sends a person a direct message (pages).</summary>
    Task<ChatMessageRef> DirectMessageAsync(string userId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>The people in a user group (Slack: a user group's members), to page them one by one.</summary>
    Task<IReadOnlyList<string>> GroupMembersAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>Makes a user group hold exactly these people (Slack: <c>usergroups.users.update</c>): the team's on-call group.</summary>
    Task SetGroupMembersAsync(string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken);

    /// <summary>Posts to the channel where new incidents are announced.</summary>
    Task<ChatMessageRef> AnnounceAsync(ChatMessage message, string idempotencyKey, CancellationToken cancellationToken);
}
