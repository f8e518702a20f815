using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary><c>OutgoingWebhooks:&lt;name&gt;</c>: where a step's <c>webhook:&lt;name&gt;</c> target posts, and the key that signs it.</summary>
public sealed class OutgoingWebhookOptions
{
    public Uri? Url { get; set; }

    /// <summary>The HMAC-SHA256 key of <c>X-Incident-Bot-Signature</c> (at least 16 characters). A secret.</summary>
    public string? Secret { get; set; }
}

/// <summary>What an outgoing webhook posts: the incident, and the step that fired it.</summary>
public sealed record OutgoingWebhookPayload(
    string Event, string Incident, string Title, string Severity, string Status, string Policy, int Step, DateTimeOffset At);

/// <summary>Sends a signed webhook (an adapter: HTTP). 2xx is done; a refusal is <see cref="PermanentEffectException"/>.</summary>
public interface IWebhookSender
{
    Task SendAsync(string name, OutgoingWebhookOptions target, string json, string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>A step's <c>webhook:&lt;name&gt;</c> target: the incident posted to the named webhook, signed, retried, once per step.</summary>
public sealed record OutgoingWebhookJob(long Incident, string Name, string Step) : IIncidentJob, IJob<OutgoingWebhookJob>
{
    public static string Kind => "escalation.webhook";

    public static string Description => "call the outgoing webhook";

    public static JobLane Lane => JobLane.Webhooks;

    public static JsonTypeInfo<OutgoingWebhookJob> Json => EscalationJsonContext.Default.OutgoingWebhookJob;

    [JsonIgnore]
    public string Key => $"{Step}:webhook:{Name}";

    [JsonIgnore]
    public string OrderingKey => Key;
}

public sealed class OutgoingWebhookHandler(IIncidentReads reads, IWebhookSender sender, IOptions<EscalationOptions> options) : ChatJobHandler<OutgoingWebhookJob>(reads)
{
    protected override async Task HandleAsync(OutgoingWebhookJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        if (!options.Value.OutgoingWebhooks.TryGetValue(job.Name, out var target) || target.Url is null)
        {
            throw new PermanentEffectException($"OutgoingWebhooks:{job.Name} is not configured");
        }

        var step = Escalator.ParseStepKey(job.Step);
        var payload = new OutgoingWebhookPayload(
            "escalation.step", incident.Key, incident.Title, incident.Severity.Display(), incident.Status.Name(), step?.Policy ?? "", (step?.Step ?? 0) + 1, run.CreatedAt);
        await sender.SendAsync(job.Name, target, JsonSerializer.Serialize(payload, EscalationJsonContext.Default.OutgoingWebhookPayload), run.Key, cancellationToken);
    }
}
