using System.Globalization;

namespace Bot.Core.Escalation;

/// <summary>Who is on call for a team at a given time, and until when. Pure: the same inputs give the same answer.</summary>
public static class OnCall
{
    /// <summary>
    /// The lengths the forms offer for a shift taken from now (an override; the command takes any up to 31 days), in the
    /// command's words with how they read; <see cref="ShiftOffered"/> chosen at first.
    /// </summary>
    public static readonly IReadOnlyList<(string Label, string Value)> ShiftLengths =
        [("1 hour", "1h"), ("2 hours", "2h"), ("4 hours", "4h"), ("8 hours", "8h"), ("12 hours", "12h"), ("1 day", "1d"), ("3 days", "3d"), ("7 days", "7d")];

    public const string ShiftOffered = "4h";

    /// <summary>Whether <paramref name="length"/> is one of <see cref="ShiftLengths"/>.</summary>
    public static bool IsShiftLength(string? length) => ShiftLengths.Any(l => l.Value == length);

    public sealed record Shift(string User, DateTimeOffset? Until, bool Override);

    /// <returns>Null when the team has no rotation and no override at <paramref name="at"/>.</returns>
    /// <param name="taken">Overrides taken from chat (<c>/incident oncall override</c>), after the settings' ones: the latest wins.</param>
    public static Shift? Who(TeamOptions team, DateTimeOffset at, IReadOnlyList<OverrideOptions>? taken = null)
    {
        var overrides = taken is { Count: > 0 } ? [.. team.Overrides, .. taken] : team.Overrides;
        if (overrides.LastOrDefault(o => o.From <= at && at < o.To) is { } over)
        {
            return new Shift(over.User, over.To, true);
        }

        if (team.Rotation is not { Members.Count: > 0 } rotation)
        {
            return null;
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(rotation.TimeZone);
        var handoff = TimeOnly.ParseExact(rotation.HandoffTime, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture);
        var start = DateOnly.ParseExact(rotation.Start, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var shift = Durations.Parse(rotation.ShiftLength)!.Value;
        var n = rotation.Members.Count;

        long index;
        DateTimeOffset until;
        if (shift.Ticks % TimeSpan.TicksPerDay == 0)
        {
            // Calendar days: hand-offs stay at the same wall-clock time when daylight saving changes.
            var days = (int)shift.TotalDays;
            var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
            var day = DateOnly.FromDateTime(local);
            if (TimeOnly.FromDateTime(local) < handoff)
            {
                day = day.AddDays(-1);
            }

            index = FloorDiv(day.DayNumber - start.DayNumber, days);
            until = ToUtc(start.AddDays((int)((index + 1) * days)).ToDateTime(handoff), zone);
        }
        else
        {
            var first = ToUtc(start.ToDateTime(handoff), zone);
            index = FloorDiv((at - first).Ticks, shift.Ticks);
            until = first + TimeSpan.FromTicks(shift.Ticks * (index + 1));
        }

        var member = rotation.Members[(int)(((index % n) + n) % n)];

        // An override that starts before the shift ends cuts it short.
        var next = overrides.Where(o => o.From > at && o.From < until).Select(o => (DateTimeOffset?)o.From).Min();
        return new Shift(member, next ?? until, false);
    }

    /// <summary>The team's shifts that overlap [<paramref name="from"/>, <paramref name="to"/>), in order: rotation and overrides.</summary>
    public static IEnumerable<(string User, DateTimeOffset Start, DateTimeOffset End, bool Override)> Shifts(
        TeamOptions team, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<OverrideOptions>? taken = null)
    {
        var at = from;
        while (at < to)
        {
            if (Who(team, at, taken) is not { } shift)
            {
                // No rotation: only overrides; jump to the next one that starts.
                var next = team.Overrides.Concat(taken ?? []).Where(o => o.From > at).Select(o => (DateTimeOffset?)o.From).Min();
                if (next is null || next >= to)
                {
                    yield break;
                }

                at = next.Value;
                continue;
            }

            var end = shift.Until is { } until && until > at ? until : to;
            yield return (shift.User, at, end < to ? end : to, shift.Override);
            at = end;
        }
    }

    /// <summary>A wall-clock time in the zone as UTC; a time skipped by a daylight-saving jump moves past the jump.</summary>
    public static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(15);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
