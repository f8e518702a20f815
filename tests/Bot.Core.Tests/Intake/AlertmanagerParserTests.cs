using System.Text;
using Bot.Core.Alerts;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

public class AlertmanagerParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static AlertBatch Parse(string json) => new AlertmanagerParser().Parse(Encoding.UTF8.GetBytes(json), "am", Now);

    [Fact]
    public void Parse_RealFiringPayload_MapsBothAlertsWithGroupKey()
    {
        var batch = new AlertmanagerParser().Parse(Fixture.Bytes("alertmanager/v4-firing.json"), "alertmanager", Now);

        Assert.Equal("alertmanager", batch.Source);
        Assert.Equal("{}:{alertname=\"HighErrorRate\", service=\"transactions\"}", batch.GroupKey);
        Assert.Equal(2, batch.Alerts.Count);
        var first = batch.Alerts[0];
        Assert.Equal("bc86f931fa0f3056", first.Fingerprint);
        Assert.Equal(AlertStatus.Firing, first.Status);
        Assert.Equal("lb-1:9100", first.Labels.Get("instance"));
        Assert.Equal("https://runbooks.example.com/high-error-rate", first.Annotations.Get("runbook_url"));
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T23:56:12.18606875Z"), first.StartsAt);
        Assert.Null(first.EndsAt); // Go's zero time means "no end"
        Assert.StartsWith("http://prometheus.example.com/", first.SourceUrl);
    }

    [Fact]
    public void Parse_RealResolvedPayload_HasEndTimes()
    {
        var batch = new AlertmanagerParser().Parse(Fixture.Bytes("alertmanager/v4-resolved.json"), "alertmanager", Now);

        Assert.All(batch.Alerts, a => Assert.Equal(AlertStatus.Resolved, a.Status));
        Assert.All(batch.Alerts, a => Assert.NotNull(a.EndsAt));
    }

    [Fact]
    public void Parse_MixedPayload_ReadsEachAlertsOwnStatus()
    {
        var batch = new AlertmanagerParser().Parse(Fixture.Bytes("alertmanager/v4-mixed-partially-resolved.json"), "alertmanager", Now);

        Assert.Equal([AlertStatus.Resolved, AlertStatus.Firing], batch.Alerts.Select(a => a.Status));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 40, 27, TimeSpan.Zero), batch.Alerts[0].EndsAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 40, 21, TimeSpan.Zero), batch.Alerts[1].StartsAt); // no fraction
    }

    [Fact]
    public void Parse_Labels_AreReadAsSent_EscapesUndone_TheLastOfANameGivenTwice_EmptyValuesKept_AnyNumberOfThem()
    {
        var many = string.Join(",", Enumerable.Range(0, 40).Select(i => $"\"l{i:00}\":\"{i}\""));
        var json = $$"""{"version":"4","alerts":[{"status":"firing","labels":{"team":"db","alertname":"Disk\u00e9\"full\"","team":"network","empty":"",{{many}}},"annotations":{},"startsAt":"2026-01-01T00:00:00Z"}]}""";

        var labels = Parse(json).Alerts[0].Labels;

        Assert.Equal("Disk\u00e9\"full\"", labels.Get("alertname"));
        Assert.Equal("network", labels.Get("team"));
        Assert.Equal("", labels.Get("empty"));
        Assert.Equal("39", labels.Get("l39"));
        Assert.Equal(43, labels.Count);
        Assert.Equal(labels.Keys.Order(StringComparer.Ordinal), labels.Keys);
        Assert.Empty(Parse(json).Alerts[0].Annotations);
    }

    [Fact]
    public void Parse_MissingFingerprint_DerivesAStableOneFromLabels()
    {
        const string json = """{"version":"4","alerts":[{"status":"firing","labels":{"b":"2","a":"1"},"startsAt":"2026-01-01T00:00:00Z"}]}""";
        const string reordered = """{"version":"4","alerts":[{"status":"firing","labels":{"a":"1","b":"2"},"startsAt":"2026-01-01T00:00:00Z"}]}""";

        var fp = Parse(json).Alerts[0].Fingerprint;

        Assert.Matches("^[0-9a-f]{16}$", fp);
        Assert.Equal(fp, Parse(reordered).Alerts[0].Fingerprint);
    }

    [Theory]
    [InlineData("", "The body is empty")]
    [InlineData("null", "JSON null")]
    [InlineData("{\"version\":\"4\",\"alerts\":[", "Malformed JSON")]
    [InlineData("[1,2]", "Malformed JSON")]
    [InlineData("{\"version\":\"4\",\"commonLabels\":{\"a\":},\"alerts\":[]}", "Malformed JSON")] // a field the bot does not read is still JSON
    [InlineData("{\"alerts\":[]}", "version is required")]
    [InlineData("{\"version\":\"3\",\"alerts\":[]}", "version is '3'; the alertmanager format expects version '4'")]
    [InlineData("{\"version\":\"4\"}", "alerts is required")]
    [InlineData("{\"version\":\"4\",\"alerts\":[null]}", "alerts[0] is null")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].labels is required")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"labels\":{\"a\":\"b\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].status is required")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"exploded\",\"labels\":{\"a\":\"b\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].status is 'exploded'")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":\"b\"}}]}", "alerts[0].startsAt is required")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":\"b\"},\"startsAt\":\"yesterday\"}]}", "alerts[0].startsAt is 'yesterday', which is not an RFC 3339 time")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":5},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].labels.a is a number; label and annotation values must be strings.")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":[\"a\"],\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "Malformed JSON at $.alerts[0].labels")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":\"b\"},\"annotations\":{\"x\":{\"y\":1},\"z\":true},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].annotations.x is an object; label")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\",\"team\":null},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].labels.team is null; label and annotation values must be strings.")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\"},\"annotations\":{\"summary\":null},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", "alerts[0].annotations.summary is null; label and annotation values must be strings.")]
    public void Parse_BadInput_SaysWhatIsWrong(string json, string expected)
    {
        var e = Assert.Throws<WebhookFormatException>(() => Parse(json));

        Assert.Contains(expected, e.Message);
    }
}
