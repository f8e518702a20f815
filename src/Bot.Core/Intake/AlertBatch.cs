using Bot.Core.Alerts;

namespace Bot.Core.Intake;

/// <summary>
/// One webhook, translated: the alerts it carries and what the sender said about their group.
/// </summary>
/// <param name="Source">The configured source name the webhook was posted to (e.g. <c>alertmanager</c>).</param>
/// <param name="GroupKey">The sender's own group key (Alertmanager's and Grafana's <c>groupKey</c>), if any.</param>
/// <param name="ExternalUrl">A link back to the sender's UI, if any.</param>
public sealed record AlertBatch(
    string Source,
    string? GroupKey,
    IReadOnlyList<Alert> Alerts,
    string? ExternalUrl = null)
{
    /// <summary>Resolve an incident once this batch leaves none of its alerts firing, whatever <c>Incidents:AutoResolve</c> says (a heartbeat's).</summary>
    public bool AutoResolve { get; init; }

    /// <summary>
    /// Alerts of the group the sender left out of this webhook (Alertmanager's <c>truncatedAlerts</c>, under its
    /// <c>max_alerts</c>): the bot never hears of them, nor of their resolution.
    /// </summary>
    public int LeftOut { get; init; }
}
