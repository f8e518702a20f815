namespace Bot.Webhooks;

/// <summary>Webhook sources and limits. Section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Sources by name: <c>POST /webhooks/{name}</c>. Sources <c>alertmanager</c>, <c>grafana</c> and
    /// <c>generic</c> exist by default, each of the format of the same name and with no token.
    /// </summary>
    public Dictionary<string, WebhookSourceOptions> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alertmanager"] = new() { Format = "alertmanager" },
        ["grafana"] = new() { Format = "grafana" },
        ["generic"] = new() { Format = "generic" },
    };

    /// <summary>
    /// Largest accepted body, in bytes; larger gets 413. Default 8 MiB: Alertmanager sends every alert of a group in each
    /// webhook (a storm's group of 10,000 alerts is ~4 MiB), and does not retry a 4xx, so a group past the limit would be
    /// refused at every interval. Its <c>max_alerts</c> bounds a webhook instead.
    /// </summary>
    public int MaxBodyBytes { get; set; } = 8 * 1024 * 1024;
}

/// <summary>One webhook source.</summary>
public sealed class WebhookSourceOptions
{
    /// <summary><c>alertmanager</c>, <c>grafana</c> or <c>generic</c>.</summary>
    public string Format { get; set; } = "";

    /// <summary>
    /// When set, requests must carry it: <c>Authorization: Bearer &lt;Token&gt;</c>, or basic authentication with it as
    /// the password (Grafana contact points). Without one, the source takes alerts from this machine only.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>With basic authentication: the user name the sender must give. Default none (any, or bearer).</summary>
    public string? User { get; set; }

    /// <summary>False turns the source off (404). Default true.</summary>
    public bool Enabled { get; set; } = true;
}
