namespace Bot.Core.Intake;

/// <summary>What one webhook changed: incidents opened and updated, and how many alerts were new, changed or repeats.</summary>
public sealed record IngestReport(
    IReadOnlyList<string> Opened,
    IReadOnlyList<string> Updated,
    int NewAlerts,
    int ChangedAlerts,
    int UnchangedAlerts);
