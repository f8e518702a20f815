namespace Bot.Core.Incidents;

/// <summary>How alerts become incidents. Section <c>Incidents</c>.</summary>
public sealed class IncidentOptions
{
    public const string SectionName = "Incidents";

    /// <summary>The alert label that gives the severity. Default <c>severity</c>.</summary>
    public string SeverityLabel { get; set; } = "severity";

    /// <summary>
    /// Label value (case-insensitive) to severity. Defaults: critical SEV1, error and high SEV2, warning SEV3,
    /// info SEV4. Values <c>sev1</c>..<c>sev4</c> are always understood.
    /// </summary>
    public Dictionary<string, string> SeverityMap { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["critical"] = "SEV1",
        ["error"] = "SEV2",
        ["high"] = "SEV2",
        ["warning"] = "SEV3",
        ["info"] = "SEV4",
    };

    /// <summary>The severity of an alert with no (or an unmapped) severity label. Default SEV3.</summary>
    public string DefaultSeverity { get; set; } = "SEV3";

    /// <summary>
    /// Labels that group alerts into one incident (e.g. <c>["alertname", "service"]</c>). Empty (the default):
    /// the sender's own group key (Alertmanager's <c>groupKey</c>), else each alert's fingerprint.
    /// </summary>
    public List<string> GroupBy { get; set; } = [];

    /// <summary>
    /// The responders: chat user ids (or user-group ids). Empty (the default): everyone may run every command. Once set,
    /// every command that changes an incident or pages someone is for the responders (these, team members and the people
    /// escalation policies name) and the incident's lead; reading and notes stay open to anyone (see
    /// <see cref="Permissions"/>).
    /// </summary>
    public List<string> Responders { get; set; } = [];

    /// <summary>
    /// Who may run a command, by its name (<c>resolve</c>, <c>page</c>, <c>sev</c>...): <c>anyone</c>, <c>responders</c>,
    /// <c>lead</c> (the incident's), or user and user-group ids. A command not listed keeps its default (see
    /// <see cref="Responders"/>).
    /// </summary>
    public Dictionary<string, List<string>> Permissions { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// While an incident is open and no status update (<c>/incident update</c>) was posted for this long, the bot
    /// reminds the lead in the channel. Default 30 minutes; 00:00:00 turns reminders off.
    /// </summary>
    public TimeSpan UpdateEvery { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The slash command's name, as responders type it. Default <c>/incident</c>.</summary>
    public string CommandName { get; set; } = "/incident";

    /// <summary>Resolve an incident by itself when all its alerts have resolved. Default false: a person resolves.</summary>
    public bool AutoResolve { get; set; }
}
