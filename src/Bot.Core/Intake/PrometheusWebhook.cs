using System.Text.Json.Serialization;

namespace Bot.Core.Intake;

/// <summary>
/// The webhook body shared by Alertmanager (version 4) and Grafana unified alerting (version 1): a group of
/// Prometheus-style alerts. Wire shape only; the parsers translate it.
/// </summary>
internal sealed class PrometheusWebhook
{
    public string? Version { get; set; }
    public string? Status { get; set; }
    public string? Receiver { get; set; }
    public string? GroupKey { get; set; }
    public Dictionary<string, string>? GroupLabels { get; set; }
    public Dictionary<string, string>? CommonLabels { get; set; }
    public Dictionary<string, string>? CommonAnnotations { get; set; }

    [JsonPropertyName("externalURL")]
    public string? ExternalUrl { get; set; }

    public List<PrometheusAlert?>? Alerts { get; set; }
    public int TruncatedAlerts { get; set; }

    /// <summary>Grafana only.</summary>
    public string? Title { get; set; }
}

internal sealed class PrometheusAlert
{
    public string? Status { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
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
