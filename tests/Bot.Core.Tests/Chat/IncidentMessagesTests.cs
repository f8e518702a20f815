using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Tests.Chat;

/// <summary>The pinned summary of a storm: it lists the first alerts and counts all of them from the incident's tally.</summary>
public class IncidentMessagesTests
{
    private static readonly DateTimeOffset T0 = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Summary_OfAStorm_ListsTheFirstAlerts_AndCountsThemAll()
    {
        var (incident, _) = Incident.Open("DDoS", Severity.Sev1, "alertmanager", "g", Actor.Bot, "opened", T0);
        var alerts = Enumerable.Range(0, 2500).Select(i => Alert($"edge-{i}", i == 0 ? "https://runbooks/ddos" : null)).ToList();
        foreach (var alert in alerts)
        {
            incident.TallyAlert(alert, null, T0);
        }

        incident.TallyAlert(alerts[1] with { Status = AlertStatus.Resolved }, AlertStatus.Firing, T0);
        var first = alerts.Take(IncidentMessages.MaxAlertsShown).Select(a => new StoredAlert(1, a, T0, T0)).ToList();

        var summary = IncidentMessages.Summary(incident, first);

        var field = summary.Fields.Single(f => f.Name.StartsWith("Alerts", StringComparison.Ordinal));
        Assert.Equal("Alerts (2499 firing of 2500)", field.Name);
        Assert.Equal(11, field.Value.Split('\n').Length);
        Assert.EndsWith("... and 2490 more", field.Value);
        Assert.Equal("https://runbooks/ddos", summary.Fields.Single(f => f.Name == "Runbook").Value);
    }

    [Fact]
    public void TallyAlert_CountsNewAlerts_AndFiringChanges()
    {
        var (incident, _) = Incident.Open("DB", Severity.Sev2, "alertmanager", "g", Actor.Bot, "opened", T0);
        var a = Alert("a", null);

        incident.TallyAlert(a, null, T0);
        incident.TallyAlert(Alert("b", null), null, T0);
        incident.TallyAlert(a with { Status = AlertStatus.Resolved }, AlertStatus.Firing, T0);
        Assert.Equal((2, 1), (incident.AlertCount, incident.FiringCount));

        incident.TallyAlert(a, AlertStatus.Resolved, T0.AddMinutes(1)); // firing again
        Assert.Equal((2, 2), (incident.AlertCount, incident.FiringCount));
        Assert.Equal(T0.AddMinutes(1), incident.UpdatedAt);
    }

    private static Alert Alert(string fingerprint, string? runbook) => new(
        fingerprint,
        AlertStatus.Firing,
        LabelSet.From(new Dictionary<string, string> { ["alertname"] = "EdgeSaturated", ["instance"] = fingerprint }),
        LabelSet.From(runbook is null ? [] : new Dictionary<string, string> { ["runbook_url"] = runbook }),
        T0,
        null,
        null);
}
