using Bot.Core.Alerts;

namespace Bot.Core.Incidents;

/// <summary>How a set of alerts reads in one timeline entry: all of a few, the first of many and a count.</summary>
public static class AlertListText
{
    public const int MaxListed = 5;

    public static string Describe(string verb, IReadOnlyList<Alert> alerts)
    {
        var listed = string.Join("; ", alerts.Take(MaxListed).Select(a => $"{a.Title} {a.Labels}"));
        var more = alerts.Count > MaxListed ? $"; and {alerts.Count - MaxListed} more" : "";
        return alerts.Count == 1 ? $"Alert {verb}: {listed}" : $"{alerts.Count} alerts {verb}: {listed}{more}";
    }
}
