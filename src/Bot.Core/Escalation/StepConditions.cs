using System.Globalization;
using System.Text.RegularExpressions;

namespace Bot.Core.Escalation;

/// <summary>
/// When a step applies: <c>Mon-Fri 09:00-18:00 Europe/Berlin</c> (days, a time range that may cross midnight, a time
/// zone). Outside it, the step is skipped and the next runs at once.
/// </summary>
public sealed partial record TimeWindow(IReadOnlySet<DayOfWeek> Days, TimeOnly From, TimeOnly To, TimeZoneInfo Zone, string Text)
{
    private static readonly DayOfWeek[] Week = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    public static TimeWindow Parse(string text)
    {
        var m = Syntax().Match(text.Trim());
        if (!m.Success)
        {
            throw new FormatException($"'{text}' is not a window; write days, hours and a time zone, e.g. 'Mon-Fri 09:00-18:00 Europe/Berlin'.");
        }

        int Day(string name) => Array.FindIndex(Week, d => d.ToString().StartsWith(name, StringComparison.OrdinalIgnoreCase));
        var first = Day(m.Groups["from"].Value);
        var last = m.Groups["to"].Success ? Day(m.Groups["to"].Value) : first;
        if (first < 0 || last < 0)
        {
            throw new FormatException($"'{text}': days are Mon, Tue, Wed, Thu, Fri, Sat, Sun.");
        }

        var days = new HashSet<DayOfWeek>();
        for (var d = first; ; d = (d + 1) % 7)
        {
            days.Add(Week[d]);
            if (d == last)
            {
                break;
            }
        }

        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(m.Groups["zone"].Value);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"'{text}': '{m.Groups["zone"].Value}' is not a time zone (IANA, e.g. Europe/Berlin, UTC).");
        }

        return new TimeWindow(
            days,
            TimeOnly.ParseExact(m.Groups["start"].Value, "HH:mm", CultureInfo.InvariantCulture),
            TimeOnly.ParseExact(m.Groups["end"].Value, "HH:mm", CultureInfo.InvariantCulture),
            zone,
            text.Trim());
    }

    /// <summary>Whether <paramref name="at"/> falls inside: on one of the days (the day the range starts, for one crossing midnight).</summary>
    public bool Contains(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, Zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (From <= To)
        {
            return Days.Contains(local.DayOfWeek) && time >= From && time < To;
        }

        // e.g. 22:00-06:00: the evening part on its day, the morning part on the next
        return (Days.Contains(local.DayOfWeek) && time >= From) || (Days.Contains(local.AddDays(-1).DayOfWeek) && time < To);
    }

    public override string ToString() => Text;

    [GeneratedRegex(@"^(?<from>[A-Za-z]{3})(-(?<to>[A-Za-z]{3}))?\s+(?<start>[0-2][0-9]:[0-5][0-9])-(?<end>[0-2][0-9]:[0-5][0-9])\s+(?<zone>\S+)$")]
    private static partial Regex Syntax();
}

/// <summary>A step that continues the escalation only if enough alerts arrived lately: <c>5 alerts in 10m</c>.</summary>
public sealed partial record AlertCondition(int Alerts, TimeSpan Within)
{
    public static AlertCondition Parse(string text)
    {
        var m = Syntax().Match(text.Trim());
        if (!m.Success || Durations.Parse(m.Groups["within"].Value) is not { } within || within <= TimeSpan.Zero)
        {
            throw new FormatException($"'{text}' is not a condition; write how many alerts in how long, e.g. '5 alerts in 10m'.");
        }

        return new AlertCondition(int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture), within);
    }

    public override string ToString() => $"{Alerts} alert{(Alerts == 1 ? "" : "s")} in {Durations.Format(Within)}";

    [GeneratedRegex(@"^(?<n>[1-9][0-9]{0,5})\s+alerts?\s+in\s+(?<within>\S+)$", RegexOptions.IgnoreCase)]
    private static partial Regex Syntax();
}
