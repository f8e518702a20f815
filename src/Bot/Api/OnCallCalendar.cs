using Bot.Core.Escalation;
using Bot.Core.Ports;
using Bot.Webhooks;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Microsoft.Extensions.Options;

namespace Bot.Api;

/// <summary>
/// iCalendar feeds (RFC 5545) of who is on call: <c>/api/oncall/{team}.ics</c> (the team's shifts) and
/// <c>/api/oncall/people/{user}.ics</c> (one person's, across teams), from a week back to eight weeks ahead: the
/// rotation with the settings' and chat's overrides. A calendar subscribes by address, so the token may be in it
/// (<c>?token=</c>, scope <c>read</c>).
/// </summary>
internal static class OnCallCalendar
{
    private static readonly TimeSpan Back = TimeSpan.FromDays(7);
    private static readonly TimeSpan Ahead = TimeSpan.FromDays(56);

    public static void MapOnCallCalendars(this IEndpointRouteBuilder app)
    {
        var feeds = app.MapGroup("/api/oncall").RequireAuthorization(Security.ApiScopes.Read);
        feeds.MapGet("/{team}.ics", TeamAsync);
        feeds.MapGet("/people/{user}.ics", PersonAsync);
    }

    private static async Task<IResult> TeamAsync(string team, IOptions<EscalationOptions> options, IEscalationReads store, TimeProvider time, CancellationToken ct)
    {
        if (!options.Value.Teams.TryGetValue(team, out var config))
        {
            return WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "Unknown team", $"No team is named '{team}'. Teams: {string.Join(", ", options.Value.Teams.Keys.Order())}.");
        }

        var (from, to) = Window(time);
        var taken = await store.ListOverridesAsync(team, from, ct);
        var shifts = OnCall.Shifts(config, from, to, taken).Select(x => (Team: team, x.User, x.Start, x.End, x.Override));
        return Feed($"{team} on call", shifts, options.Value);
    }

    private static async Task<IResult> PersonAsync(string user, IOptions<EscalationOptions> options, IEscalationReads store, TimeProvider time, CancellationToken ct)
    {
        var teams = options.Value.Teams.Where(t => t.Value.Members.Any(m => m.Id == user) || (t.Value.Rotation?.Members.Contains(user) ?? false)).ToList();
        if (teams.Count == 0)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "Unknown person", $"'{user}' is in no team's members or rotation.");
        }

        var (from, to) = Window(time);
        var shifts = new List<(string Team, string User, DateTimeOffset Start, DateTimeOffset End, bool Override)>();
        foreach (var (name, team) in teams)
        {
            var taken = await store.ListOverridesAsync(name, from, ct);
            shifts.AddRange(OnCall.Shifts(team, from, to, taken).Where(x => x.User == user).Select(x => (name, x.User, x.Start, x.End, x.Override)));
        }

        return Feed($"{options.Value.NameOf(user)} on call", shifts.OrderBy(x => x.Start), options.Value);
    }

    private static (DateTimeOffset From, DateTimeOffset To) Window(TimeProvider time)
    {
        var today = new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        return (today - Back, today + Ahead);
    }

    private static IResult Feed(string name, IEnumerable<(string Team, string User, DateTimeOffset Start, DateTimeOffset End, bool Override)> shifts, EscalationOptions options)
    {
        var calendar = new Calendar { ProductId = "-//incident-bot//on-call//EN" };
        calendar.AddProperty("X-WR-CALNAME", name);
        foreach (var (team, user, start, end, over) in shifts)
        {
            calendar.Events.Add(new CalendarEvent
            {
                Uid = $"{team}-{user}-{start.ToUnixTimeSeconds()}@incident-bot",
                Summary = $"{team} on call: {options.NameOf(user)}{(over ? " (override)" : "")}",
                DtStart = new CalDateTime(start.UtcDateTime, "UTC"),
                DtEnd = new CalDateTime(end.UtcDateTime, "UTC"),
                Transparency = TransparencyType.Transparent,
            });
        }

        return Results.Text(new CalendarSerializer().SerializeToString(calendar) ?? "", "text/calendar; charset=utf-8");
    }

}
