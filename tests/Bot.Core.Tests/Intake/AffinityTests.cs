using Bot.Core.Incidents;
using Bot.Core.Intake;
using Microsoft.Extensions.Options;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Intake;

/// <summary>
/// The group a webhook's alerts share, which lets the store queue it with the group's other webhooks: the sender's group
/// key where no grouping labels are configured, else the alerts' one group, and none when they fall in several.
/// </summary>
public sealed class AffinityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    private static AlertIntake Intake(params string[] groupBy) => new(new IncidentRules(Options.Create(new IncidentOptions { GroupBy = [.. groupBy] })));

    [Fact]
    public void TheSendersGroupKey_IsEveryAlertsGroup_WithTheirFingerprints()
    {
        var affinity = Intake().AffinityOf(Batch("{}:{alertname=\"A\"}", Firing("a1", T0), Firing("a2", T0, name: "Other")))!;

        Assert.Equal("alertmanager:group:{}:{alertname=\"A\"}", affinity.Group);
        Assert.Equal(["a1", "a2"], affinity.Alerts);
    }

    [Fact]
    public void WithoutAGroupKey_EachAlertIsItsOwnGroup_SoOnlyALoneAlertHasOne()
    {
        Assert.Equal("alertmanager:fingerprint:a1", Intake().AffinityOf(Batch(null, Firing("a1", T0)))!.Group);
        Assert.Null(Intake().AffinityOf(Batch(null, Firing("a1", T0), Firing("a2", T0))));
    }

    [Fact]
    public void GroupingLabels_GroupWhateverTheSenderSays_AndAlertsOfTwoGroupsHaveNone()
    {
        var intake = Intake("alertname");

        Assert.Equal("alertmanager:labels:{alertname=\"A\"}", intake.AffinityOf(Batch("g1", Firing("a1", T0, name: "A"), Firing("a2", T0, name: "A")))!.Group);
        Assert.Null(intake.AffinityOf(Batch("g1", Firing("a1", T0, name: "A"), Firing("a2", T0, name: "B"))));
    }

    [Fact]
    public void AnEmptyWebhook_HasNoGroup() => Assert.Null(Intake().AffinityOf(Batch("g1")));
}
