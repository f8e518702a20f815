using Bot.Core.Alerts;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Api;

/// <summary>An incident as the read API shows it.</summary>
public sealed record IncidentDto(
    string Id,
    long Number,
    string Title,
    string Severity,
    string Status,
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AcknowledgedAt,
    DateTimeOffset? MitigatedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset UpdatedAt,
    string? Channel,
    int AlertCount,
    int FiringCount)
{
    public static IncidentDto From(Incident i) => new(
        i.Key, i.Number, i.Title, i.Severity.Display(), i.Status.Name(), i.Source, i.CreatedAt, i.AcknowledgedAt, i.MitigatedAt, i.ResolvedAt, i.UpdatedAt,
        i.ChannelName, i.AlertCount, i.FiringCount);
}

public sealed record AlertDto(
    string Fingerprint,
    string Status,
    string Name,
    string Summary,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? SourceUrl,
    DateTimeOffset FirstSeenAt)
{
    public static AlertDto From(StoredAlert s) => new(
        s.Alert.Fingerprint,
        s.Alert.Status == AlertStatus.Firing ? "firing" : "resolved",
        s.Alert.Name,
        s.Alert.Summary,
        s.Alert.Labels.ToDictionary(),
        s.Alert.Annotations.ToDictionary(),
        s.Alert.StartsAt,
        s.Alert.EndsAt,
        s.Alert.SourceUrl,
        s.FirstSeenAt);
}

public sealed record TimelineEntryDto(DateTimeOffset At, string Kind, string AuthorId, string Author, string Text, DateTimeOffset? RecordedAt)
{
    public static TimelineEntryDto From(TimelineEntry e) => new(e.At, e.Kind.Name(), e.Author.Id, e.Author.Name, e.Text, e.RecordedAt);
}

/// <summary>A page not out yet (<see cref="Core.Escalation.PageUnderWay"/>): what, where it stands in a word and in words, since when, its next time.</summary>
/// <param name="Stage"><c>scheduled</c>, <c>waiting</c>, <c>sending</c> or <c>failing</c>.</param>
/// <param name="Since">When it fell due first (for a scheduled page: when it will).</param>
/// <param name="DueAt">When it is due next (its next try, when failing).</param>
public sealed record PendingPageDto(string What, string Stage, string State, DateTimeOffset Since, DateTimeOffset DueAt, int Attempts, string? LastError)
{
    public static PendingPageDto From(Core.Escalation.PageUnderWay p, DateTimeOffset now, Func<string, string> nameOf) =>
        new(p.What(nameOf), p.Stage(now), p.State(now), p.Since, p.DueAt, p.Attempts, p.LastError);
}

/// <summary>An incident's page: the incident and its tally, its first and latest alerts, the start of its timeline, and where the rest is.</summary>
public sealed record IncidentDetailsDto(
    IncidentDto Incident, IReadOnlyList<AlertDto> Alerts, IReadOnlyList<AlertDto> LatestAlerts, IReadOnlyList<TimelineEntryDto> Timeline, IncidentLinksDto Links);

/// <summary>The next pages of an incident's alerts and timeline, null where the page showed them all.</summary>
public sealed record IncidentLinksDto(string? Alerts, string? Timeline);
