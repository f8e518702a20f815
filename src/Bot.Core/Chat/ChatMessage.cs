namespace Bot.Core.Chat;

/// <summary>
/// A message in chat-neutral terms: a headline, fields, free text and buttons. Adapters render it (Slack blocks,
/// plain text in the local chat).
/// </summary>
public sealed record ChatMessage(string Text)
{
    public IReadOnlyList<ChatField> Fields { get; init; } = [];

    public IReadOnlyList<ChatButton> Buttons { get; init; } = [];

    /// <summary>Pin the message in its channel once posted.</summary>
    public bool Pin { get; init; }
}

public sealed record ChatField(string Name, string Value);

/// <summary>A button; <see cref="Action"/> and <see cref="Value"/> come back when someone clicks it.</summary>
public sealed record ChatButton(string Action, string Label, string Value);

/// <summary>A channel made by the chat adapter.</summary>
public sealed record ChatChannel(string Id, string Name);

/// <summary>A posted message: its channel and the adapter's id for it (Slack's <c>ts</c>).</summary>
public sealed record ChatMessageRef(string ChannelId, string MessageId);
