using System.Text.Json.Serialization;
using Bot.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Bot.Api;

/// <summary>Source-generated JSON for everything the HTTP API writes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IncidentDto))]
[JsonSerializable(typeof(IReadOnlyList<IncidentDto>))]
[JsonSerializable(typeof(IncidentDetailsDto))]
[JsonSerializable(typeof(IReadOnlyList<AlertDto>))]
[JsonSerializable(typeof(IReadOnlyList<TimelineEntryDto>))]
[JsonSerializable(typeof(List<PendingPageDto>))]
[JsonSerializable(typeof(WebhookAccepted))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(CommandRequest))]
[JsonSerializable(typeof(CommandResponse))]
[JsonSerializable(typeof(Bot.WebConsole.LiveIncident))]
[JsonSerializable(typeof(Bot.WebConsole.LiveEntry))]
public sealed partial class BotJsonContext : JsonSerializerContext;
