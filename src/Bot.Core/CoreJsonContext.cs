using System.Text.Json.Serialization;
using Bot.Core.Incidents;

namespace Bot.Core;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChatPayload))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Escalation.StepPayload))]
[JsonSerializable(typeof(Escalation.PagePayload))]
[JsonSerializable(typeof(Escalation.GroupPagePayload))]
public sealed partial class CoreJsonContext : JsonSerializerContext;
