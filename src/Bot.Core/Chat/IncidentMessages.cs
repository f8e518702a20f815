using Bot.Core.Alerts;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>The bot's standard messages about an incident, in chat-neutral form.</summary>
public static class IncidentMessages
{
    public const string AcknowledgeAction = "incident_ack";
    public const string EscalateAction = "incident_escalate";
    public const string ResolveAction = "incident_resolve";
    /// <summary>How many alerts the summary lists; it counts all of them (see <see cref="Incident.AlertCount"/>).</summary>
    public const int MaxAlertsShown = 10;

    public static string Topic(Incident incident) =>
        $"{incident.Severity.Display()} | {incident.Status.Name()}{(incident.Progress is null ? "" : $" ({incident.Progress})")} | lead: {incident.Lead?.Name ?? "none"} | {incident.Key}: {incident.Title}";

    /// <summary>
    /// The pinned summary: title, severity, status, alerts, links, runbook, and the three buttons. <paramref name="firstAlerts"/>
    /// are the incident's first <see cref="MaxAlertsShown"/> alerts; the counts and runbooks come from the incident.
    /// </summary>
    public static ChatMessage Summary(Incident incident, IReadOnlyList<StoredAlert> firstAlerts)
    {
        var fields = new List<ChatField>
        {
            new("Severity", incident.Severity.Display()),
            new("Status", incident.Status.Name() + (incident.Progress is null ? "" : $" ({incident.Progress})")),
            new("Lead", incident.Lead?.Name ?? "none yet"),
            new("Opened", $"{incident.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
            new("Source", incident.Source),
        };

        if (incident.AlertCount > 0)
        {
            var shown = firstAlerts.Take(MaxAlertsShown).ToList();
            var lines = shown.Select(a => $"{(a.Alert.Status == AlertStatus.Firing ? "FIRING" : "resolved")}: {a.Alert.Title}{Link(a.Alert.SourceUrl)}");
            var more = incident.AlertCount > shown.Count ? $"\n... and {incident.AlertCount - shown.Count} more" : "";
            fields.Add(new ChatField($"Alerts ({incident.FiringCount} firing of {incident.AlertCount})", string.Join("\n", lines) + more));
        }

        foreach (var (name, text) in new[] { ("Impact", incident.Impact), ("Root cause", incident.Cause), ("Resolution", incident.Resolution) })
        {
            if (text is not null)
            {
                fields.Add(new ChatField(name, text));
            }
        }

        if (incident.Runbooks.Count > 0)
        {
            fields.Add(new ChatField("Runbook", string.Join("\n", incident.Runbooks)));
        }

        var value = incident.Key;
        return new ChatMessage($"{incident.Key}: {incident.Title}")
        {
            Fields = fields,
            Buttons =
            [
                new ChatButton(AcknowledgeAction, "Acknowledge", value),
                new ChatButton(EscalateAction, "Escalate", value),
                new ChatButton(ResolveAction, "Resolve", value),
            ],
            Pin = true,
        };
    }

    public static ChatMessage Announcement(Incident incident) =>
        new($"{incident.Severity.Display()} incident {incident.Key} opened: {incident.Title}")
        {
            Fields = [new ChatField("Channel", ChannelLink(incident) ?? "(no channel)")],
        };

    /// <summary>
    /// The incident's channel as a link people can click (<see cref="ChatMarkup.Channel"/>: Slack shows its name and links
    /// it; the local chat shows <c>#inc-...</c>). Null before the channel exists.
    /// </summary>
    public static string? ChannelLink(Incident incident) =>
        incident.ChannelId is null ? null : ChatMarkup.Channel(incident.ChannelId, incident.ChannelName);

    private static string Link(string? url) => url is null ? "" : $" ({url})";
}
