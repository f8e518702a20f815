using System.Text.Json.Serialization;
using Bot.Core.Effects;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Core.Escalation;

/// <summary>Escalation's jobs, each registered with its handler.</summary>
public static class EscalationJobs
{
    public static IServiceCollection AddEscalationJobs(this IServiceCollection services) => services
        .AddJob<EscalationStepJob, EscalationStepHandler>()
        .AddJob<PageJob, PageHandler>()
        .AddJob<InviteJob, InviteHandler>()
        .AddJob<PageGroupJob, PageGroupHandler>()
        .AddJob<NotifyJob, NotifyHandler>()
        .AddJob<HandoffJob, HandoffHandler>()
        .AddJob<SyncJob, SyncHandler>()
        .AddJob<OutgoingWebhookJob, OutgoingWebhookHandler>()
        .AddJob<TestPageJob, TestPageHandler>();
}

/// <summary>Escalation's jobs as the outbox stores them.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EscalationStepJob))]
[JsonSerializable(typeof(PageJob))]
[JsonSerializable(typeof(InviteJob))]
[JsonSerializable(typeof(PageGroupJob))]
[JsonSerializable(typeof(NotifyJob))]
[JsonSerializable(typeof(HandoffJob))]
[JsonSerializable(typeof(SyncJob))]
[JsonSerializable(typeof(OutgoingWebhookJob))]
[JsonSerializable(typeof(OutgoingWebhookPayload))]
[JsonSerializable(typeof(TestPageJob))]
public sealed partial class EscalationJsonContext : JsonSerializerContext;
