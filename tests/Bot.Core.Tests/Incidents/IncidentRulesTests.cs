using Bot.Core.Alerts;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Tests.Incidents;

public class IncidentRulesTests
{
    private static Alert AlertWith(params (string, string)[] labels) =>
        new("fp1", AlertStatus.Firing, LabelSet.From(labels.Select(l => KeyValuePair.Create(l.Item1, l.Item2))), LabelSet.Empty, DateTimeOffset.UnixEpoch, null, null);

    private static IncidentRules CreateSut(IncidentOptions? options = null) => new(Options.Create(options ?? new IncidentOptions()));

    [Theory]
    [InlineData("critical", Severity.Sev1)]
    [InlineData("CRITICAL", Severity.Sev1)]
    [InlineData("error", Severity.Sev2)]
    [InlineData("high", Severity.Sev2)]
    [InlineData("warning", Severity.Sev3)]
    [InlineData("info", Severity.Sev4)]
    [InlineData("sev2", Severity.Sev2)]
    [InlineData("page-me", Severity.Sev3)]
    public void SeverityOf_DefaultMap(string value, Severity expected) =>
        Assert.Equal(expected, CreateSut().SeverityOf(AlertWith(("severity", value))));

    /// <summary>Each severity's text is SEV and its number, the same string each time, and reads back as itself.</summary>
    [Theory]
    [InlineData(Severity.Sev1, "SEV1")]
    [InlineData(Severity.Sev2, "SEV2")]
    [InlineData(Severity.Sev3, "SEV3")]
    [InlineData(Severity.Sev4, "SEV4")]
    public void Display_IsSevAndItsNumber_AndReadsBack(Severity severity, string text)
    {
        Assert.Equal(text, severity.Display());
        Assert.Same(severity.Display(), severity.Display());
        Assert.Equal(severity, SeverityText.Parse(severity.Display()));
    }

    [Fact]
    public void SeverityOf_ConfiguredLabelAndMap()
    {
        var options = new IncidentOptions { SeverityLabel = "priority", DefaultSeverity = "SEV4" };
        options.SeverityMap["p1"] = "SEV1";

        var sut = CreateSut(options);

        Assert.Equal(Severity.Sev1, sut.SeverityOf(AlertWith(("priority", "P1"))));
        Assert.Equal(Severity.Sev4, sut.SeverityOf(AlertWith(("severity", "critical"))));
    }

    [Fact]
    public void GroupKeyOf_PrefersLabelsThenSenderKeyThenFingerprint()
    {
        var alert = AlertWith(("alertname", "DDoS"), ("service", "lb"), ("instance", "lb-1"));

        Assert.Equal("am:group:{}:{x}", CreateSut().GroupKeyOf(alert, "am", "{}:{x}"));
        Assert.Equal("am:fingerprint:fp1", CreateSut().GroupKeyOf(alert, "am", null));
        Assert.Equal(
            "am:labels:{alertname=\"DDoS\", service=\"lb\"}",
            CreateSut(new IncidentOptions { GroupBy = ["alertname", "service"] }).GroupKeyOf(alert, "am", "{}:{x}"));
    }

    [Fact]
    public void Validator_NamesTheBadKey()
    {
        var options = new IncidentOptions { DefaultSeverity = "urgent", GroupBy = ["", "a"] };
        options.SeverityMap["disaster"] = "SEV0";

        var result = new IncidentOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Incidents:DefaultSeverity is 'urgent'", result.FailureMessage);
        Assert.Contains("Incidents:SeverityMap:disaster is 'SEV0'", result.FailureMessage);
        Assert.Contains("Incidents:GroupBy:0 is empty", result.FailureMessage);
    }
}
