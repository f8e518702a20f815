using Bot.Core.Alerts;

namespace Bot.Core.Intake;

/// <summary>
/// The common translation of Alertmanager and Grafana webhooks. Each alert is read with its own status: a
/// payload whose top-level status is <c>firing</c> may carry resolved alerts too.
/// </summary>
public abstract class PrometheusStyleParser : IWebhookParser
{
    public abstract string Format { get; }

    /// <summary>The <c>version</c> field value this format must carry.</summary>
    protected abstract string ExpectedVersion { get; }

    public AlertBatch Parse(ReadOnlySpan<byte> body, string source, DateTimeOffset now)
    {
        var hook = WireReader.Deserialize(body, IntakeJsonContext.Default.PrometheusWebhook);
        var version = WireReader.Required(hook.Version, "version");
        if (version != ExpectedVersion)
        {
            throw new WebhookFormatException(
                $"version is '{version}'; the {Format} format expects version '{ExpectedVersion}'.");
        }

        if (hook.Alerts is null)
        {
            throw new WebhookFormatException("alerts is required (an array of alerts).");
        }

        var alerts = new List<Alert>(hook.Alerts.Count);
        for (var i = 0; i < hook.Alerts.Count; i++)
        {
            alerts.Add(ReadAlert(hook.Alerts[i] ?? throw new WebhookFormatException($"alerts[{i}] is null."), i));
        }

        var groupKey = string.IsNullOrEmpty(hook.GroupKey) ? null : hook.GroupKey;
        return new AlertBatch(source, groupKey, alerts, NullIfEmpty(hook.ExternalUrl)) { LeftOut = Math.Max(0, hook.TruncatedAlerts) };
    }

    private static Alert ReadAlert(PrometheusAlert wire, int index)
    {
        WirePath Field(string name) => WirePath.Item("alerts", index, name);
        var labels = WireReader.Pairs(wire.Labels, Field("labels"));
        if (labels.Count == 0)
        {
            throw new WebhookFormatException($"{Field("labels")} is required and must not be empty.");
        }

        var status = WireReader.Status(wire.Status, Field("status"));
        var startsAt = WireReader.RequiredTime(wire.StartsAt, Field("startsAt"));
        var endsAt = WireReader.Time(wire.EndsAt, Field("endsAt"));
        if (status == AlertStatus.Firing)
        {
            // A firing alert's endsAt is a timeout, not an end (Alertmanager sends Go's zero time anyway).
            endsAt = null;
        }

        var fingerprint = string.IsNullOrWhiteSpace(wire.Fingerprint) ? Fingerprint.Of(labels) : wire.Fingerprint;
        var link = NullIfEmpty(wire.GeneratorUrl) ?? NullIfEmpty(wire.PanelUrl) ?? NullIfEmpty(wire.DashboardUrl);
        return new Alert(fingerprint, status, labels, WireReader.Pairs(wire.Annotations, Field("annotations")), startsAt, endsAt, link);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
