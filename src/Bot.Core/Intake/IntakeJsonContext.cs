using System.Text.Json.Serialization;

namespace Bot.Core.Intake;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(PrometheusWebhook))]
[JsonSerializable(typeof(GenericWebhook))]
internal sealed partial class IntakeJsonContext : JsonSerializerContext;
