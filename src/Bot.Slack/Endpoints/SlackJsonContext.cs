using System.Text.Json.Serialization;

namespace Bot.Slack.Endpoints;

internal sealed record SlashCommandAnswer(
    [property: JsonPropertyName("response_type")] string ResponseType,
    [property: JsonPropertyName("text")] string Text);

internal sealed record ChallengeAnswer([property: JsonPropertyName("challenge")] string Challenge);

/// <summary>A modal's submission refused: Slack keeps the modal open and shows each message under its block.</summary>
internal sealed record ViewErrorsAnswer(
    [property: JsonPropertyName("response_action")] string ResponseAction,
    [property: JsonPropertyName("errors")] IReadOnlyDictionary<string, string> Errors);

[JsonSerializable(typeof(SlashCommandAnswer))]
[JsonSerializable(typeof(ChallengeAnswer))]
[JsonSerializable(typeof(ViewErrorsAnswer))]
internal sealed partial class SlackJsonContext : JsonSerializerContext;
