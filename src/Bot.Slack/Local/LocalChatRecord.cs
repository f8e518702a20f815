using System.Text.Json.Serialization;

namespace Bot.Slack.Local;

/// <summary>One line of a local channel's log: a message the bot posted, or the channel's creation.</summary>
public sealed record LocalChatRecord(
    string Id,
    string Channel,
    DateTimeOffset At,
    string Key,
    string Text,
    string? Topic = null,
    bool Pinned = false,
    IReadOnlyList<string>? Buttons = null,
    bool Edited = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LocalChatRecord))]
internal sealed partial class LocalChatJsonContext : JsonSerializerContext;
