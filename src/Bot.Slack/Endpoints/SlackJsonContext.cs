using System.Text.Json.Serialization;

namespace Bot.Slack.Endpoints;

internal sealed record SlashCommandAnswer(
    [property: JsonPropertyName("response_type")] string ResponseType,
    [property: JsonPropertyName("text")] string Text);

internal sealed record ChallengeAnswer([property: JsonPropertyName("challenge")] string Challenge);

[JsonSerializable(typeof(SlashCommandAnswer))]
[JsonSerializable(typeof(ChallengeAnswer))]
internal sealed partial class SlackJsonContext : JsonSerializerContext;
