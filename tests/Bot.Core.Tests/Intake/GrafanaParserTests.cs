using System.Text;
using Bot.Core.Alerts;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

public class GrafanaParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Parse_UnifiedAlertingPayload_MapsAlertAndLinks()
    {
        var batch = new GrafanaParser().Parse(Fixture.Bytes("grafana/v1-firing.json"), "grafana", Now);

        var alert = Assert.Single(batch.Alerts);
        Assert.Equal("57c6d9296de2ad39", alert.Fingerprint);
        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal("error", alert.Labels.Get("severity"));
        Assert.Equal("DatabaseConnectionsHigh: Connections at 95% of max_connections", alert.Title);
        Assert.Equal("http://grafana.example.com/alerting/grafana/aaa111/view?orgId=1", alert.SourceUrl);
        Assert.Null(alert.EndsAt);
        Assert.StartsWith("{}/{team=\"database\"}", batch.GroupKey);
    }

    [Fact]
    public void Parse_AlertmanagerVersion_IsRejected()
    {
        var e = Assert.Throws<WebhookFormatException>(() => new GrafanaParser().Parse(Fixture.Bytes("alertmanager/v4-firing.json"), "grafana", Now));

        Assert.Contains("the grafana format expects version '1'", e.Message);
    }

    [Fact]
    public void Parse_NoGeneratorUrl_FallsBackToPanelUrl()
    {
        const string json = """{"version":"1","alerts":[{"status":"firing","labels":{"alertname":"x"},"startsAt":"2026-01-01T00:00:00Z","generatorURL":"","panelURL":"http://g/p"}]}""";

        var alert = new GrafanaParser().Parse(Encoding.UTF8.GetBytes(json), "grafana", Now).Alerts[0];

        Assert.Equal("http://g/p", alert.SourceUrl);
    }
}
