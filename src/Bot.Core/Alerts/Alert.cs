namespace Bot.Core.Alerts;

/// <summary>
/// One alert, whatever format it arrived in. The fingerprint identifies the alert across notifications;
/// <see cref="EndsAt"/> is null while the alert fires with no known end.
/// </summary>
public sealed record Alert(
    string Fingerprint,
    AlertStatus Status,
    LabelSet Labels,
    LabelSet Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? SourceUrl)
{
    public string Fingerprint { get; init; } = Text.SafeText.Clean(Fingerprint);

    public string? SourceUrl { get; init; } = Text.SafeText.CleanOrNull(SourceUrl);

    /// <summary>The alert's name: its <c>alertname</c> label, else its fingerprint.</summary>
    public string Name => Labels.Get("alertname") ?? Fingerprint;

    /// <summary>A one-line human description: the summary (or description) annotation, else the name.</summary>
    public string Summary => Annotations.Get("summary") ?? Annotations.Get("description") ?? Name;

    /// <summary>How the alert reads in a title: <c>Name: summary</c>, without repeating itself.</summary>
    public string Title => Summary == Name ? Name : $"{Name}: {Summary}";

    /// <summary>Appends <see cref="Title"/> without making it a string first.</summary>
    public System.Text.StringBuilder AppendTitle(System.Text.StringBuilder text)
    {
        var (name, summary) = (Name, Summary);
        return summary == name ? text.Append(name) : text.Append(name).Append(": ").Append(summary);
    }
}
