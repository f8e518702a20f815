namespace Bot.Core.Intake;

/// <summary>Prometheus Alertmanager's webhook, version 4 (the captures in tests/Fixtures/alertmanager show what 0.25 sends).</summary>
public sealed class AlertmanagerParser : PrometheusStyleParser
{
    public override string Format => "alertmanager";

    protected override string ExpectedVersion => "4";
}
