namespace Bot.Core.Incidents;

/// <summary>
/// Which incidents to list: one status, or all open ones, newest first, at most <paramref name="Limit"/>, and only those
/// numbered below <paramref name="Before"/> (the last of the previous page) when it is set; narrowed further by the
/// optional filters below (all of them must hold).
/// </summary>
public sealed record IncidentQuery(IncidentStatus? Status, bool OpenOnly, int Limit, long? Before = null)
{
    public Severity? Severity { get; init; }

    /// <summary>Only incidents one of these escalation policies paged (a team's incidents: the policies that page it).</summary>
    public IReadOnlyCollection<string>? PagedBy { get; init; }

    /// <summary>Only incidents opened at or after this time.</summary>
    public DateTimeOffset? OpenedFrom { get; init; }

    /// <summary>Only incidents opened before this time.</summary>
    public DateTimeOffset? OpenedBefore { get; init; }

    /// <summary>Only incidents whose title contains this text (ignoring case, at least for ASCII letters).</summary>
    public string? TitleContains { get; init; }
}

/// <summary>
/// A page of an incident's alerts: at most <paramref name="Limit"/>, in the order they were first seen (or newest first),
/// after the position <paramref name="After"/> (the last of the previous page) when it is set. A store reads a page
/// through an index, so its cost does not grow with the incident.
/// </summary>
public sealed record AlertQuery(int Limit, AlertPosition? After = null, bool NewestFirst = false);

/// <summary>Where an alert stands in the order alerts are listed: first seen, then started, then fingerprint.</summary>
public sealed record AlertPosition(DateTimeOffset FirstSeenAt, DateTimeOffset StartsAt, string Fingerprint)
{
    public static AlertPosition Of(StoredAlert alert) => new(alert.FirstSeenAt, alert.Alert.StartsAt, alert.Alert.Fingerprint);
}

/// <summary>
/// A page of an incident's timeline: at most <paramref name="Limit"/> entries in time order (or newest first), after
/// <paramref name="After"/> when it is set, of the <paramref name="Kinds"/> given (all when null).
/// </summary>
public sealed record TimelineQuery(int Limit, TimelinePosition? After = null, IReadOnlyCollection<TimelineKind>? Kinds = null, bool NewestFirst = false);

/// <summary>Where an entry stands in the timeline's order: when it happened, then as recorded.</summary>
public sealed record TimelinePosition(DateTimeOffset At, long Id)
{
    public static TimelinePosition Of(TimelineEntry entry) => new(entry.At, entry.Id);
}

/// <summary>Some of the entries of a stretch of the timeline, and how many it holds in all.</summary>
public sealed record TimelineExcerpt(IReadOnlyList<TimelineEntry> Entries, int Total);
