using Bot.Core.Incidents;
using Bot.Core.Reports;

namespace Bot.Core.Tests.Reports;

public sealed class IncidentReportTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);

    private static IncidentFacts Facts(long n, Severity severity, DateTimeOffset opened, TimeSpan? ack, TimeSpan? resolve, params string[] policies) =>
        new(n, severity, opened, opened + ack, opened + resolve, policies);

    [Fact]
    public void Weeks_CountIncidentsBySeverityAndTeam_AndAnUnpagedIncidentIsNoTeams()
    {
        IncidentFacts[] incidents =
        [
            Facts(1, Severity.Sev1, Monday.AddHours(3), TimeSpan.FromMinutes(4), TimeSpan.FromHours(1), "db-primary"),
            Facts(2, Severity.Sev3, Monday.AddDays(6).AddHours(23), null, null, "db-primary", "edge"), // Sunday night: still week 1
            Facts(3, Severity.Sev3, Monday.AddDays(7), TimeSpan.FromMinutes(10), null),
        ];
        var teams = new Dictionary<string, string[]> { ["db-primary"] = ["database"], ["edge"] = ["network", "database"] };

        var report = IncidentReport.Build(incidents, [], IncidentReport.MondayOf(Monday.AddDays(3)), 2, p => teams[p], WorkingHours.Default);

        Assert.Equal(["database", "network", IncidentReport.NoTeam], report.Teams);
        var (first, second) = (report.Weeks[0], report.Weeks[1]);
        Assert.Equal(new DateOnly(2026, 11, 16), first.Monday);
        Assert.Equal((2, 1, 1, 0), (first.Total, first.BySeverity[Severity.Sev1], first.BySeverity[Severity.Sev3], first.BySeverity[Severity.Sev2]));
        Assert.Equal(2, first.ByTeam["database"]); // counted once though two of its policies paged incident 2
        Assert.Equal(1, first.ByTeam["network"]);
        Assert.Equal((1, 1), (second.Total, second.ByTeam[IncidentReport.NoTeam]));

        // Each team's times are over the incidents its policies paged: database's are incidents 1 and 2 (one acknowledged).
        Assert.Equal(["database", "network", IncidentReport.NoTeam], report.ByTeam.Select(t => t.Team));
        var database = report.ByTeam[0].Times;
        Assert.Equal((2, TimeSpan.FromMinutes(4), TimeSpan.FromHours(1)), (database.Incidents, database.AckMedian, database.ResolveMedian));
        var network = report.ByTeam[1].Times;
        Assert.Equal((1, null), (network.Incidents, network.AckMedian)); // incident 2, never acknowledged
        Assert.Equal(TimeSpan.FromMinutes(10), report.ByTeam[2].Times.AckMedian);
    }

    [Fact]
    public void Times_AreMedianAndP90_OfTheIncidentsThatGotThere()
    {
        var incidents = Enumerable.Range(1, 10)
            .Select(i => Facts(i, Severity.Sev2, Monday, TimeSpan.FromMinutes(i), i <= 4 ? TimeSpan.FromHours(i) : null))
            .Append(Facts(11, Severity.Sev1, Monday, null, null))
            .ToList();

        var report = IncidentReport.Build(incidents, [], IncidentReport.MondayOf(Monday), 1, _ => [], WorkingHours.Default);

        var sev2 = report.BySeverity.Single(t => t.Severity == Severity.Sev2);
        Assert.Equal(TimeSpan.FromMinutes(5.5), sev2.AckMedian);
        Assert.Equal(TimeSpan.FromMinutes(9.1), sev2.AckP90);
        Assert.Equal(TimeSpan.FromHours(2.5), sev2.ResolveMedian);
        var sev1 = report.BySeverity.Single(t => t.Severity == Severity.Sev1);
        Assert.Equal((1, null, null), (sev1.Incidents, sev1.AckMedian, sev1.ResolveP90)); // none acknowledged: no time, not zero
        Assert.Equal(11, report.BySeverity.Single(t => t.Severity is null).Incidents);
        Assert.DoesNotContain(report.BySeverity, t => t.Severity == Severity.Sev4);
    }

    [Fact]
    public void PagesOutOfHours_AreCountedInTheWorkingHoursZone()
    {
        var (hours, error) = WorkingHours.Parse("Mon-Fri 09:00-18:00", "America/New_York");
        Assert.Null(error);
        PageFact Page(string user, DateTimeOffset at) => new(user, 1, "db-primary", at);
        PageFact[] pages =
        [
            Page("U1", new DateTimeOffset(2026, 11, 16, 15, 0, 0, TimeSpan.Zero)), // Monday 10:00 in New York: in hours
            Page("U1", new DateTimeOffset(2026, 11, 16, 7, 10, 0, TimeSpan.Zero)), // Monday 02:10 in New York
            Page("U2", new DateTimeOffset(2026, 11, 21, 15, 0, 0, TimeSpan.Zero)), // Saturday
            Page("U2", new DateTimeOffset(2026, 11, 20, 22, 59, 0, TimeSpan.Zero)), // Friday 17:59: in hours
            Page("U2", new DateTimeOffset(2026, 11, 20, 23, 0, 0, TimeSpan.Zero)), // Friday 18:00: out
        ];

        var report = IncidentReport.Build([], pages, IncidentReport.MondayOf(Monday), 1, _ => [], hours!);

        Assert.Equal([new IncidentReport.Person("U2", 3, 2), new IncidentReport.Person("U1", 2, 1)], report.People);
    }

    [Theory]
    [InlineData("Mon-Fri 9-18", null, "is not working hours written like Mon-Fri 09:00-18:00")]
    [InlineData("Fri-Mon 18:00-09:00", null, "end after start")]
    [InlineData(null, "Mars/Olympus", "'Mars/Olympus' is not a time zone this machine knows")]
    public void BadWorkingHours_SayWhatIsWrong(string? text, string? zone, string expected)
    {
        var (hours, error) = WorkingHours.Parse(text, zone);
        Assert.Null(hours);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void AWeekendShift_WrapsAroundTheWeek()
    {
        var (hours, _) = WorkingHours.Parse("Sat-Sun 10:00-16:00", null);
        Assert.True(hours!.Contains(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero))); // Sunday
        Assert.False(hours.Contains(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero))); // Monday
        var (always, _) = WorkingHours.Parse("Mon-Sun 00:00-24:00", null);
        Assert.True(always!.Contains(new DateTimeOffset(2026, 11, 22, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal("Mon-Sun 00:00-24:00 UTC", always.ToString());
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(12 * 60 + 30, "12 min")]
    [InlineData(3 * 3600 + 5 * 60, "3 h 05 min")]
    [InlineData(2 * 86400 + 4 * 3600, "2 d 4 h")]
    public void Durations_ReadAsPeopleSayThem(int seconds, string expected) =>
        Assert.Equal(expected, IncidentReport.Format(TimeSpan.FromSeconds(seconds)));
}
