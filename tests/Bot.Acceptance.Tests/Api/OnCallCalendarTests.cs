using System.Net;
using Bot.Security;
using Ical.Net;

namespace Bot.Acceptance.Tests.Api;

/// <summary>The on-call iCalendar feeds over real HTTP, read back with Ical.Net as a calendar would.</summary>
public sealed class OnCallCalendarTests
{
    private const string Reader = "ibot_calendar-secret-0123456789abcdefghijklmno";

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Api:Tokens:calendar:Hash"] = ApiTokenHash.Of(Reader),
        ["Api:Tokens:calendar:Scopes:0"] = "read",
        ["Api:Tokens:calendar:Scopes:1"] = "commands",
        ["Api:Tokens:calendar:User"] = "UDAVE",
        ["Teams:database:Members:0:Id"] = "UDAVE",
        ["Teams:database:Members:0:Name"] = "dave",
        ["Teams:database:Members:1:Id"] = "UERIN",
        ["Teams:database:Members:1:Name"] = "erin",
        ["Teams:database:Rotation:Members:0"] = "UDAVE",
        ["Teams:database:Rotation:Members:1"] = "UERIN",
        ["Teams:database:Rotation:ShiftLength"] = "1w",
        ["Teams:database:Rotation:Start"] = "2026-01-05",
        ["Teams:database:Rotation:HandoffTime"] = "09:00",
        ["Teams:database:Rotation:TimeZone"] = "UTC",
    };

    [Fact]
    public async Task ATeamsFeed_ListsItsWeeklyShifts_AndAnOverrideTakenFromChat_ForACalendarHoldingTheTokenInItsAddress()
    {
        await using var bot = await BotServer.StartAsync(Settings());
        using var command = new HttpRequestMessage(HttpMethod.Post, "/api/commands") { Content = System.Net.Http.Json.JsonContent.Create(new { text = "oncall override @UERIN 4h database" }) };
        command.Headers.Authorization = new("Bearer", Reader);
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.SendAsync(command)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await bot.Client.GetAsync("/api/oncall/database.ics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await bot.Client.GetAsync("/api/oncall/database.ics?token=ibot_wrong-0123456789abcdefghijklmnopqrstuvw")).StatusCode);
        var response = await bot.Client.GetAsync($"/api/oncall/database.ics?token={Reader}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        var calendar = Calendar.Load(await response.Content.ReadAsStringAsync())!;
        var events = calendar.Events.OrderBy(e => e.DtStart!.Value).ToList();
        Assert.InRange(events.Count, 9, 12); // a week back to eight weeks ahead, in weekly shifts, cut by the override
        var weekly = events.Where(e => !e.Summary!.Contains("(override)")).ToList();
        Assert.True(weekly.Count(e => e.DtStart!.Value is { DayOfWeek: DayOfWeek.Monday, Hour: 9, Minute: 0 }) >= 6, "weekly hand-offs on Monday 09:00 UTC");
        for (var i = 1; i < events.Count; i++)
        {
            Assert.Equal(events[i - 1].DtEnd!.Value, events[i].DtStart!.Value); // no gap, no overlap: someone is always on call
        }
        Assert.Contains(events, e => e.Summary == "database on call: erin (override)" && (e.DtEnd!.Value - e.DtStart!.Value) <= TimeSpan.FromHours(4));
        Assert.Contains(weekly, e => e.Summary == "database on call: dave");
        Assert.Contains(weekly, e => e.Summary == "database on call: erin");
        Assert.Equal(events.Count, events.Select(e => e.Uid).Distinct().Count());
    }

    [Fact]
    public async Task APersonsFeed_HoldsOnlyTheirShifts_AndAnUnknownTeamIs404()
    {
        await using var bot = await BotServer.StartAsync(Settings());

        var calendar = Calendar.Load(await bot.Client.GetStringAsync($"/api/oncall/people/UERIN.ics?token={Reader}"))!;
        var unknown = await bot.Client.GetAsync($"/api/oncall/network.ics?token={Reader}");

        Assert.NotEmpty(calendar.Events);
        Assert.All(calendar.Events, e => Assert.Equal("database on call: erin", e.Summary));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
