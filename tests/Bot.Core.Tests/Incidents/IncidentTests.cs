using Bot.Core.Alerts;
using Bot.Core.Incidents;

namespace Bot.Core.Tests.Incidents;

public class IncidentTests
{
    private static readonly DateTimeOffset T0 = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly Actor Alice = new("U1", "alice");

    private static Incident CreateSut()
    {
        var (incident, _) = Incident.Open("DDoS", Severity.Sev2, "alertmanager", "g", Actor.Source("alertmanager"), "opened", T0);
        incident.AssignNumber(42);
        return incident;
    }

    [Fact]
    public void Lifecycle_StampsEachStatusTime()
    {
        var incident = CreateSut();

        incident.Acknowledge(Alice, T0.AddMinutes(15));
        incident.Mitigate(Alice, T0.AddHours(3.5));
        var entry = incident.Resolve(Alice, T0.AddHours(4.5), "Traffic filtered.");

        Assert.Equal(IncidentStatus.Resolved, incident.Status);
        Assert.Equal(T0.AddMinutes(15), incident.AcknowledgedAt);
        Assert.Equal(T0.AddHours(3.5), incident.MitigatedAt);
        Assert.Equal(T0.AddHours(4.5), incident.ResolvedAt);
        Assert.Equal(TimelineKind.StatusChanged, entry.Kind);
        Assert.Equal("alice resolved the incident. Traffic filtered.", entry.Text);
        Assert.Equal(Alice, entry.Author);
    }

    [Fact]
    public void ResolveSummary_FillsTheResolution_OnlyWhileItIsBlank()
    {
        var filled = CreateSut();
        var kept = CreateSut();
        kept.SetResolution("Rate limiting at the edge.", Alice, T0);

        filled.Resolve(Alice, T0.AddHours(1), "  Traffic filtered.  ");
        kept.Resolve(Alice, T0.AddHours(1), "Traffic filtered.");

        Assert.Equal("Traffic filtered.", filled.Resolution);
        Assert.Equal("Rate limiting at the edge.", kept.Resolution);
    }

    [Fact]
    public void Resolve_Twice_IsRefused()
    {
        var incident = CreateSut();
        incident.Resolve(Alice, T0);

        var e = Assert.Throws<IncidentTransitionException>(() => incident.Resolve(Alice, T0.AddMinutes(1)));

        Assert.Equal("INC-42 is resolved; reopen it before you resolve it.", e.Message);
    }

    [Fact]
    public void Acknowledge_WhenAcknowledged_IsRefused()
    {
        var incident = CreateSut();
        incident.Acknowledge(Alice, T0);

        Assert.Throws<IncidentTransitionException>(() => incident.Acknowledge(Alice, T0));
    }

    [Fact]
    public void Reopen_ClearsResolution_AndOnlyWhenResolved()
    {
        var incident = CreateSut();
        Assert.Throws<IncidentTransitionException>(() => incident.Reopen(Alice, T0));
        incident.Resolve(Alice, T0.AddHours(1));

        incident.Reopen(Alice, T0.AddHours(2));

        Assert.True(incident.IsOpen);
        Assert.Null(incident.ResolvedAt);
    }

    [Fact]
    public void Escalate_OnlyRaises()
    {
        var incident = CreateSut();

        var alert = new Alert("fp", AlertStatus.Firing, LabelSet.From([KeyValuePair.Create("alertname", "X")]), LabelSet.Empty, T0, null, null);
        Assert.Null(incident.Escalate(Severity.Sev3, Alice, alert, T0));
        var entry = incident.Escalate(Severity.Sev1, Alice, alert, T0);

        Assert.Equal(Severity.Sev1, incident.Severity);
        Assert.Equal("Severity raised from SEV2 to SEV1: alert X is SEV1.", entry!.Text);
    }

    [Theory]
    [InlineData("INC-42", 42L)]
    [InlineData("inc-7", 7L)]
    [InlineData("12", 12L)]
    [InlineData("INC-", null)]
    [InlineData("INC--1", null)]
    [InlineData("0", null)]
    [InlineData("abc", null)]
    public void ParseKey_Reads(string text, long? expected) => Assert.Equal(expected, Incident.ParseKey(text));
}
