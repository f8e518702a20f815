using Bot.Core.Alerts;
using Microsoft.Extensions.Options;

namespace Bot.Core.Incidents;

/// <summary>The configured rules, read once: an alert's severity and grouping key.</summary>
public sealed class IncidentRules
{
    private readonly IncidentOptions _options;
    private readonly Severity _default;
    private readonly Dictionary<string, Severity> _map;

    public IncidentRules(IOptions<IncidentOptions> options)
    {
        _options = options.Value;
        _default = SeverityText.Parse(_options.DefaultSeverity) ?? Severity.Sev3;
        _map = new Dictionary<string, Severity>(StringComparer.OrdinalIgnoreCase);
        foreach (var (value, sev) in _options.SeverityMap)
        {
            _map[value] = SeverityText.Parse(sev) ?? _default;
        }
    }

    public IncidentOptions Options => _options;

    public bool AutoResolve => _options.AutoResolve;

    public Severity DefaultSeverity => _default;

    /// <summary>How long an open incident may go without a status update before the lead is reminded; zero: never.</summary>
    public TimeSpan UpdateEvery => _options.UpdateEvery;

    public string CommandName => _options.CommandName;

    public Severity SeverityOf(Alert alert)
    {
        var value = alert.Labels.Get(_options.SeverityLabel);
        if (value is null)
        {
            return _default;
        }

        return _map.TryGetValue(value.Trim(), out var mapped) ? mapped : SeverityText.Parse(value) ?? _default;
    }

    /// <summary>
    /// The key that decides which incident an alert joins: the configured grouping labels if any, else the
    /// sender's group key, else the alert's own fingerprint. Always prefixed with the source.
    /// </summary>
    public string GroupKeyOf(Alert alert, string source, string? senderGroupKey)
    {
        if (_options.GroupBy.Count > 0)
        {
            var parts = _options.GroupBy.Select(l => $"{l}=\"{alert.Labels.Get(l) ?? ""}\"");
            return $"{source}:labels:{{{string.Join(", ", parts)}}}";
        }

        return SharedGroupKey(source, senderGroupKey) ?? $"{source}:fingerprint:{alert.Fingerprint}";
    }

    /// <summary>
    /// The key of every alert a sender sent under its group key, where no grouping labels are configured (Alertmanager's
    /// webhooks): the same for all the webhook's alerts, so spelt once for them; null where it depends on the alert.
    /// </summary>
    public string? SharedGroupKey(string source, string? senderGroupKey) =>
        _options.GroupBy.Count == 0 && senderGroupKey is not null ? $"{source}:group:{senderGroupKey}" : null;
}
