using System.Text.Json.Serialization;
using Bot.Core.Incidents;

namespace Bot.Core;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChatPayload))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class CoreJsonContext : JsonSerializerContext;
