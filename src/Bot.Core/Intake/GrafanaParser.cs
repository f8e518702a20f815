namespace Bot.Core.Intake;

/// <summary>
/// Grafana unified alerting's webhook contact point, version 1: Alertmanager's shape plus Grafana's fields
/// (title, state, message, orgId, per-alert values and dashboard/panel links).
/// </summary>
public sealed class GrafanaParser : PrometheusStyleParser
{
    public override string Format => "grafana";

    protected override string ExpectedVersion => "1";
}
