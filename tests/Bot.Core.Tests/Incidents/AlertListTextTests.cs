using Bot.Core.Alerts;
using Bot.Core.Incidents;

namespace Bot.Core.Tests.Incidents;

public class AlertListTextTests
{
    private static Alert A(string instance) =>
        new(instance, AlertStatus.Firing, LabelSet.From([KeyValuePair.Create("alertname", "DDoS"), KeyValuePair.Create("instance", instance)]), LabelSet.Empty, DateTimeOffset.UnixEpoch, null, null);

    [Fact]
    public void Describe_OneAlert_NamesItWithLabels() =>
        Assert.Equal("Alert joined: DDoS {alertname=\"DDoS\", instance=\"lb-1\"}", AlertListText.Describe("joined", [A("lb-1")]));

    [Fact]
    public void Describe_ManyAlerts_ListsFiveAndCountsTheRest()
    {
        var text = AlertListText.Describe("firing", Enumerable.Range(1, 8).Select(i => A($"lb-{i}")).ToList());

        Assert.StartsWith("8 alerts firing: DDoS {alertname=\"DDoS\", instance=\"lb-1\"}; ", text);
        Assert.Contains("lb-5", text);
        Assert.DoesNotContain("lb-6", text);
        Assert.EndsWith("; and 3 more", text);
    }

    [Fact]
    public void Describe_TwoAlerts_EscapesQuotesAndBackslashesInLabelValues() =>
        Assert.Equal(
            """2 alerts resolved: DDoS {alertname="DDoS", instance="lb-1"}; DDoS {alertname="DDoS", instance="lb \"a\" \\b"}""",
            AlertListText.Describe("resolved", [A("lb-1"), A("lb \"a\" \\b")]));
}
