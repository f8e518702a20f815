using System.Globalization;
using Bot.Core.Incidents;

namespace Bot.Core.Reports;

/// <summary>An incident as the reports count it: when it opened, was acknowledged and resolved, and which policies paged it.</summary>
public sealed record IncidentFacts(long Number, Severity Severity, DateTimeOffset CreatedAt, DateTimeOffset? AcknowledgedAt, DateTimeOffset? ResolvedAt, IReadOnlyList<string> PagedBy);

/// <summary>One person paged at one step of an escalation.</summary>
public sealed record PageFact(string User, long Incident, string Policy, DateTimeOffset At);

/// <summary>What the reports read from the store: a stretch of time's incidents (by when they opened) and pages.</summary>
public interface IReportReads
{
    /// <summary>The incidents opened in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    Task<IReadOnlyList<IncidentFacts>> ListIncidentFactsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The pages sent in [<paramref name="from"/>, <paramref name="to"/>), oldest first.</summary>
    Task<IReadOnlyList<PageFact>> ListPagesAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>
/// The weekly report: incidents per week (Monday to Sunday, UTC) by severity and team, time to acknowledge and to resolve
/// (median and 90th percentile, by severity and by team), and pages per person, in and out of working hours.
/// </summary>
public sealed record IncidentReport(
    IReadOnlyList<IncidentReport.Week> Weeks,
    IReadOnlyList<string> Teams,
    IReadOnlyList<IncidentReport.Times> BySeverity,
    IReadOnlyList<IncidentReport.Person> People)
{
    /// <summary>The times of each team's incidents (those its policies paged), in the order of <see cref="Teams"/>.</summary>
    public IReadOnlyList<(string Team, Times Times)> ByTeam { get; init; } = [];

    /// <summary>The team counted for incidents no policy paged.</summary>
    public const string NoTeam = "(none)";

    public sealed record Week(DateOnly Monday, IReadOnlyDictionary<Severity, int> BySeverity, IReadOnlyDictionary<string, int> ByTeam, int Total);

    /// <summary>Null where no incident of the severity was acknowledged (or resolved).</summary>
    public sealed record Times(Severity? Severity, int Incidents, TimeSpan? AckMedian, TimeSpan? AckP90, TimeSpan? ResolveMedian, TimeSpan? ResolveP90);

    public sealed record Person(string User, int Pages, int OutOfHours);

    /// <summary>The Monday (UTC) of the week holding <paramref name="time"/>.</summary>
    public static DateOnly MondayOf(DateTimeOffset time)
    {
        var day = DateOnly.FromDateTime(time.UtcDateTime);
        return day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
    }

    /// <param name="firstMonday">The first week's Monday; the report covers <paramref name="weeks"/> weeks from it.</param>
    /// <param name="teamsOf">The teams a policy pages.</param>
    public static IncidentReport Build(
        IReadOnlyList<IncidentFacts> incidents, IReadOnlyList<PageFact> pages, DateOnly firstMonday, int weeks,
        Func<string, IEnumerable<string>> teamsOf, WorkingHours hours)
    {
        var teamsOfIncident = incidents.ToDictionary(
            i => i.Number,
            i => i.PagedBy.SelectMany(teamsOf).Distinct(StringComparer.Ordinal).DefaultIfEmpty(NoTeam).ToList());
        var teams = teamsOfIncident.Values.SelectMany(t => t).Distinct(StringComparer.Ordinal)
            .OrderBy(t => t == NoTeam).ThenBy(t => t, StringComparer.Ordinal).ToList();
        var byWeek = incidents.ToLookup(i => MondayOf(i.CreatedAt));
        var list = new List<Week>();
        for (var w = 0; w < weeks; w++)
        {
            var monday = firstMonday.AddDays(7 * w);
            var of = byWeek[monday].ToList();
            list.Add(new Week(
                monday,
                Enum.GetValues<Severity>().ToDictionary(s => s, s => of.Count(i => i.Severity == s)),
                teams.ToDictionary(t => t, t => of.Count(i => teamsOfIncident[i.Number].Contains(t)), StringComparer.Ordinal),
                of.Count));
        }

        Times TimesOf(Severity? severity, IEnumerable<IncidentFacts> these)
        {
            var all = these.ToList();
            var ack = all.Where(i => i.AcknowledgedAt is not null).Select(i => i.AcknowledgedAt!.Value - i.CreatedAt).ToList();
            var resolve = all.Where(i => i.ResolvedAt is not null).Select(i => i.ResolvedAt!.Value - i.CreatedAt).ToList();
            return new Times(severity, all.Count, Percentile(ack, 0.5), Percentile(ack, 0.9), Percentile(resolve, 0.5), Percentile(resolve, 0.9));
        }

        var times = Enum.GetValues<Severity>().Select(s => TimesOf(s, incidents.Where(i => i.Severity == s)))
            .Where(t => t.Incidents > 0).Append(TimesOf(null, incidents)).ToList();
        var byTeam = teams.Select(t => (t, TimesOf(null, incidents.Where(i => teamsOfIncident[i.Number].Contains(t))))).ToList();
        var people = pages.GroupBy(p => p.User, StringComparer.Ordinal)
            .Select(g => new Person(g.Key, g.Count(), g.Count(p => !hours.Contains(p.At))))
            .OrderByDescending(p => p.OutOfHours).ThenByDescending(p => p.Pages).ThenBy(p => p.User, StringComparer.Ordinal).ToList();
        return new IncidentReport(list, teams, times, people) { ByTeam = byTeam };
    }

    /// <summary>The <paramref name="p"/> quantile, interpolated between the closest ranks (as spreadsheets' PERCENTILE.INC); null for none.</summary>
    public static TimeSpan? Percentile(IReadOnlyCollection<TimeSpan> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        var rank = p * (sorted.Count - 1);
        var below = (int)Math.Floor(rank);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
    }

    /// <summary>A duration as people read it: 45 s, 12 min, 3 h 05 min, 2 d 4 h.</summary>
    public static string Format(TimeSpan? span) => span switch
    {
        null => "-",
        { TotalMinutes: < 1 } s => $"{(int)s.TotalSeconds} s",
        { TotalHours: < 1 } s => $"{(int)s.TotalMinutes} min",
        { TotalDays: < 1 } s => string.Create(CultureInfo.InvariantCulture, $"{(int)s.TotalHours} h {s.Minutes:00} min"),
        TimeSpan s => $"{(int)s.TotalDays} d {s.Hours} h",
    };
}

/// <summary>
/// When people work, in one time zone: days and hours such as <c>Mon-Fri 09:00-18:00</c> (a page outside them is "out of
/// hours"; <c>24:00</c> ends at midnight). <see cref="Parse"/> says what is wrong with a bad one.
/// </summary>
public sealed record WorkingHours(DayOfWeek FirstDay, DayOfWeek LastDay, TimeOnly Start, TimeOnly End, TimeZoneInfo Zone)
{
    public static readonly WorkingHours Default = new(DayOfWeek.Monday, DayOfWeek.Friday, new TimeOnly(9, 0), new TimeOnly(18, 0), TimeZoneInfo.Utc);

    private static readonly string[] Days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    public bool Contains(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone);
        var day = ((int)local.DayOfWeek - (int)FirstDay + 7) % 7;
        var time = TimeOnly.FromDateTime(local.DateTime);
        return day <= ((int)LastDay - (int)FirstDay + 7) % 7 && time >= Start && (time < End || End == TimeOnly.MaxValue);
    }

    /// <summary>Reads <c>Mon-Fri 09:00-18:00</c> in the IANA zone <paramref name="zone"/>; an error message when it cannot.</summary>
    public static (WorkingHours? Hours, string? Error) Parse(string? text, string? zone)
    {
        TimeZoneInfo tz;
        try
        {
            tz = string.IsNullOrWhiteSpace(zone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return (null, $"'{zone}' is not a time zone this machine knows (an IANA name such as Europe/Berlin).");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return (Default with { Zone = tz }, null);
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var days = parts.Length == 2 ? parts[0].Split('-') : [];
        var times = parts.Length == 2 ? parts[1].Split('-') : [];
        int Day(string d) => Array.FindIndex(Days, x => x.Equals(d, StringComparison.OrdinalIgnoreCase));
        if (days.Length != 2 || times.Length != 2 || Day(days[0]) < 0 || Day(days[1]) < 0
            || !TryTime(times[0], out var start) || !TryTime(times[1], out var end)
            || end <= start)
        {
            return (null, $"'{text}' is not working hours written like Mon-Fri 09:00-18:00 (first and last day, start and end time, end after start).");
        }

        return (new WorkingHours((DayOfWeek)Day(days[0]), (DayOfWeek)Day(days[1]), start, end, tz), null);
    }

    /// <summary>As written in the settings, with the zone: <c>Mon-Fri 09:00-18:00 Europe/Berlin</c>.</summary>
    public override string ToString() =>
        $"{Days[(int)FirstDay]}-{Days[(int)LastDay]} {Start:HH\\:mm}-{(End == TimeOnly.MaxValue ? "24:00" : End.ToString("HH\\:mm", CultureInfo.InvariantCulture))} {Zone.Id}";

    private static bool TryTime(string text, out TimeOnly time)
    {
        if (text == "24:00")
        {
            time = TimeOnly.MaxValue;
            return true;
        }

        return TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }
}
