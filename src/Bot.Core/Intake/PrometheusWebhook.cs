using System.Text.Json.Serialization;

namespace Bot.Core.Intake;

/// <summary>
/// The webhook body shared by Alertmanager (version 4) and Grafana unified alerting (version 1): a group of
/// Prometheus-style alerts. Wire shape only; the parsers translate it. The fields the bot does not use (the group's
/// status, receiver, groupLabels, commonLabels and commonAnnotations, Grafana's title and message) are not read: JSON
/// skips them, checking only that they are JSON, and a storm's webhooks no longer build three dictionaries each.
/// </summary>
internal sealed class PrometheusWebhook
{
    public string? Version { get; set; }
    public string? GroupKey { get; set; }

    [JsonPropertyName("externalURL")]
    public string? ExternalUrl { get; set; }

    public List<PrometheusAlert?>? Alerts { get; set; }
    public int TruncatedAlerts { get; set; }
}

internal sealed class PrometheusAlert
{
    public string? Status { get; set; }
    public WirePairs? Labels { get; set; }
    public WirePairs? Annotations { get; set; }
    public string? StartsAt { get; set; }
    public string? EndsAt { get; set; }

    [JsonPropertyName("generatorURL")]
    public string? GeneratorUrl { get; set; }

    public string? Fingerprint { get; set; }

    /// <summary>Grafana only: links to the dashboard and panel.</summary>
    [JsonPropertyName("dashboardURL")]
    public string? DashboardUrl { get; set; }

    [JsonPropertyName("panelURL")]
    public string? PanelUrl { get; set; }
}
