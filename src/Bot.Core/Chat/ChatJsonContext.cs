using System.Text.Json.Serialization;

namespace Bot.Core.Chat;

/// <summary>The chat jobs as the outbox stores them (camelCase, as every job's JSON).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OpenChannelJob))]
[JsonSerializable(typeof(PostSummaryJob))]
[JsonSerializable(typeof(RefreshSummaryJob))]
[JsonSerializable(typeof(AnnounceJob))]
[JsonSerializable(typeof(DigestJob))]
[JsonSerializable(typeof(PostTextJob))]
[JsonSerializable(typeof(UpdateReminderJob))]
[JsonSerializable(typeof(JobFailedJob))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
