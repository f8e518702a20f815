namespace Bot.Core.Intake;

/// <summary>Prometheus Alertmanager's webhook, version 4 (see ../shared/reference/field-notes.md).</summary>
public sealed class AlertmanagerParser : PrometheusStyleParser
{
    public override string Format => "alertmanager";

    protected override string ExpectedVersion => "4";
}
