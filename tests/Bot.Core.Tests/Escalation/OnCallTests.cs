using Bot.Core.Escalation;

namespace Bot.Core.Tests.Escalation;

/// <summary>Who is on call: hand-offs, time zones, daylight saving, overrides.</summary>
public class OnCallTests
{
    private static TeamOptions Weekly(string zone = "Europe/Paris", string shift = "1w") => new()
    {
        Rotation = new RotationOptions { Members = ["U1", "U2", "U3"], ShiftLength = shift, HandoffTime = "09:00", TimeZone = zone, Start = "2023-07-31" },
    };

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("2023-07-31T07:00:00Z", "U1")] // 09:00 Paris (UTC+2): the first shift starts
    [InlineData("2023-07-31T06:59:59Z", "U3")] // a second before: the shift before the start, counted backwards
    [InlineData("2023-08-05T10:00:00Z", "U1")]
    [InlineData("2023-08-07T06:59:00Z", "U1")] // Monday 08:59 Paris: still U1
    [InlineData("2023-08-07T07:00:00Z", "U2")] // Monday 09:00 Paris: hand-off
    [InlineData("2023-08-14T07:00:00Z", "U3")]
    [InlineData("2023-08-21T07:00:00Z", "U1")] // round again
    public void WeeklyRotation_HandsOffAtTheLocalTime(string at, string expected) =>
        Assert.Equal(expected, OnCall.Who(Weekly(), Utc(at))!.User);

    [Fact]
    public void Shift_SaysUntilTheNextHandOff()
    {
        var shift = OnCall.Who(Weekly(), Utc("2023-08-05T10:00:00Z"))!;
        Assert.Equal(Utc("2023-08-07T07:00:00Z"), shift.Until);
        Assert.False(shift.Override);
    }

    [Fact]
    public void DailyRotation_KeepsTheWallClockAcrossDaylightSaving()
    {
        var team = Weekly(shift: "1d");
        team.Rotation!.Start = "2023-03-24";

        // Paris went from UTC+1 to UTC+2 at 02:00 on 2023-03-26: 09:00 local is 08:00 UTC before and 07:00 UTC after,
        // so the shift of the 25th lasts 23 hours.
        Assert.Equal(Utc("2023-03-25T08:00:00Z"), OnCall.Who(team, Utc("2023-03-24T12:00:00Z"))!.Until);
        Assert.Equal(Utc("2023-03-26T07:00:00Z"), OnCall.Who(team, Utc("2023-03-25T12:00:00Z"))!.Until);
        Assert.Equal(Utc("2023-03-27T07:00:00Z"), OnCall.Who(team, Utc("2023-03-26T12:00:00Z"))!.Until);
        Assert.Equal("U3", OnCall.Who(team, Utc("2023-03-26T07:30:00Z"))!.User); // 09:30 local on the 26th: day 3
        Assert.Equal("U2", OnCall.Who(team, Utc("2023-03-26T06:30:00Z"))!.User); // 08:30 local: still day 2
    }

    [Fact]
    public void NewYork_HandsOffAtItsOwnNine()
    {
        var team = Weekly(zone: "America/New_York");
        Assert.Equal("U3", OnCall.Who(team, Utc("2023-07-31T12:59:00Z"))!.User); // 08:59 EDT
        Assert.Equal("U1", OnCall.Who(team, Utc("2023-07-31T13:00:00Z"))!.User); // 09:00 EDT
    }

    [Fact]
    public void TwelveHourShifts_CountElapsedTime()
    {
        var team = Weekly(zone: "UTC", shift: "12h");
        Assert.Equal("U1", OnCall.Who(team, Utc("2023-07-31T20:59:00Z"))!.User);
        Assert.Equal("U2", OnCall.Who(team, Utc("2023-07-31T21:00:00Z"))!.User);
        Assert.Equal("U3", OnCall.Who(team, Utc("2023-08-01T09:00:00Z"))!.User);
    }

    [Fact]
    public void Override_WinsForItsSpan_AndCutsTheShiftBefore()
    {
        var team = Weekly();
        team.Overrides.Add(new OverrideOptions { User = "U9", From = Utc("2023-08-05T00:00:00Z"), To = Utc("2023-08-06T00:00:00Z") });

        Assert.Equal(new OnCall.Shift("U9", Utc("2023-08-06T00:00:00Z"), true), OnCall.Who(team, Utc("2023-08-05T10:00:00Z")));
        Assert.Equal(new OnCall.Shift("U1", Utc("2023-08-05T00:00:00Z"), false), OnCall.Who(team, Utc("2023-08-04T10:00:00Z")));
        Assert.Equal("U1", OnCall.Who(team, Utc("2023-08-06T00:00:00Z"))!.User); // the override has ended
    }

    [Fact]
    public void NoRotation_NoOneOnCall() => Assert.Null(OnCall.Who(new TeamOptions(), DateTimeOffset.UnixEpoch));

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("1w", 604800)]
    [InlineData("00:02:00", 120)]
    public void Durations_ReadAsPeopleWriteThem(string text, int seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text));

    [Theory]
    [InlineData("5 minutes")]
    [InlineData("-5m")]
    [InlineData("")]
    public void Durations_RefuseTheRest(string text) => Assert.Null(Durations.Parse(text));
}
