using System.Text;
using Bot.Core.Alerts;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

public class GenericParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static AlertBatch Parse(string json) => new GenericParser().Parse(Encoding.UTF8.GetBytes(json), "generic", Now);

    [Fact]
    public void Parse_DocumentedExample_MapsEveryField()
    {
        var batch = new GenericParser().Parse(Fixture.Bytes("generic/firing.json"), "generic", Now);

        var alert = Assert.Single(batch.Alerts);
        Assert.Equal("checkout", batch.GroupKey);
        Assert.Equal("checkout-latency", alert.Fingerprint);
        Assert.Equal(AlertStatus.Firing, alert.Status);
        Assert.Equal("critical", alert.Labels.Get("severity"));
        Assert.Equal("Checkout latency above 2 s", alert.Labels.Get("alertname"));
        Assert.Equal("Checkout latency above 2 s", alert.Annotations.Get("summary"));
        Assert.Equal("p99 latency 2.4 s for 10 minutes", alert.Annotations.Get("description"));
        Assert.Equal("https://status.example.com/checks/42", alert.SourceUrl);
        Assert.Equal(new DateTimeOffset(2023, 8, 5, 10, 0, 0, TimeSpan.Zero), alert.StartsAt);
    }

    [Fact]
    public void Parse_TitleOnly_DefaultsToFiringNowWithStableFingerprint()
    {
        var a = Parse("""{"title":"Disk full"}""").Alerts[0];
        var b = Parse("""{"title":"Disk full"}""").Alerts[0];
        var other = Parse("""{"title":"Disk full","labels":{"host":"db-2"}}""").Alerts[0];

        Assert.Equal(AlertStatus.Firing, a.Status);
        Assert.Equal(Now, a.StartsAt);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.NotEqual(a.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void Parse_Resolved_SetsEndTime()
    {
        var alert = Parse("""{"title":"Disk full","status":"resolved","time":"2026-11-24T11:00:00+01:00"}""").Alerts[0];

        Assert.Equal(AlertStatus.Resolved, alert.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), alert.EndsAt);
    }

    [Theory]
    [InlineData("{}", "title is required")]
    [InlineData("{\"title\":\"  \"}", "title is required")]
    [InlineData("{\"title\":\"x\",\"status\":\"ok\"}", "status is 'ok'; expected firing or resolved")]
    [InlineData("{\"title\":\"x\",\"time\":\"12:00\"}", "time is '12:00', which is not an RFC 3339 time")]
    [InlineData("{\"title\":\"x\",\"labels\":[\"a\"]}", "Malformed JSON at $.labels")]
    [InlineData("{\"title\":\"x\",\"labels\":{\"team\":null}}", "labels.team is null; label and annotation values must be strings.")]
    [InlineData("\"just a string\"", "Malformed JSON")]
    public void Parse_BadInput_SaysWhatIsWrong(string json, string expected)
    {
        var e = Assert.Throws<WebhookFormatException>(() => Parse(json));

        Assert.Contains(expected, e.Message);
    }
}
