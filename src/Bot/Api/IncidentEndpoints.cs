using System.Globalization;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Webhooks;
using Microsoft.Extensions.Options;

namespace Bot.Api;

/// <summary>
/// The read API: incidents, an incident's page, and its alerts and timeline in pages. Every list is a page read
/// through an index (an incident of a storm holds a million alerts and an entry per webhook); the next page's address
/// is in the <c>Link</c> header (<c>rel="next"</c>, RFC 8288), absent on the last page.
/// </summary>
internal static class IncidentEndpoints
{
    public const int MaxLimit = 500;

    /// <summary>How many of its first and latest alerts an incident's page shows at most.</summary>
    public const int MaxAlertsOnPage = 100;

    public static void MapIncidentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/incidents").RequireAuthorization(Security.ApiScopes.Read);
        api.MapGet("/", ListAsync);
        api.MapGet("/{id}", GetAsync);
        api.MapGet("/{id}/alerts", AlertsAsync);
        api.MapGet("/{id}/timeline", TimelineAsync);
        api.MapGet("/{id}/pending-pages", PendingPagesAsync);
    }

    /// <summary>
    /// The incident's pages not out yet (SMS, calls, e-mails, chat messages, user groups' mentions, outgoing webhooks):
    /// scheduled, waiting, being sent or failing try after try, the one due longest ago first. Those out or failed for
    /// good are on its timeline.
    /// </summary>
    /// <param name="limit">1 to 500; default 100.</param>
    private static async Task<IResult> PendingPagesAsync(
        IIncidentReads store, IEscalationReads escalations, IOptions<EscalationOptions> escalation, TimeProvider time, string id, string? limit, CancellationToken ct)
    {
        if (Limit(limit, 100) is not { } n)
        {
            return BadLimit("limit", limit, 1, MaxLimit);
        }

        if (await FindAsync(store, id, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var now = time.GetUtcNow();
        var pages = await escalations.ListPagesUnderWayAsync(incident.Number, n, ct);
        return Results.Ok(pages.Select(p => PendingPageDto.From(p, now, escalation.Value.NameOf)).ToList());
    }

    /// <param name="status">triggered, acknowledged, mitigated, resolved, open (all but resolved), or all (the default).</param>
    /// <param name="limit">1 to 500; default 100.</param>
    /// <param name="cursor">From the previous page's <c>Link</c> header.</param>
    /// <remarks>Also <c>severity</c>, <c>team</c>, <c>from</c>, <c>to</c> (UTC days) and <c>q</c> (title search), as the console's list (<see cref="IncidentFilter"/>).</remarks>
    private static async Task<IResult> ListAsync(
        HttpContext http, IIncidentReads store, IOptions<EscalationOptions> escalation, string? status, string? limit, string? cursor,
        string? severity, string? team, string? from, string? to, string? q, CancellationToken ct)
    {
        if (Limit(limit, 100) is not { } n)
        {
            return BadLimit("limit", limit, 1, MaxLimit);
        }

        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!Cursor.TryIncidents(cursor, out var b))
            {
                return BadCursor(cursor);
            }

            before = b;
        }

        var filter = IncidentFilter.Parse(string.IsNullOrEmpty(status) ? "all" : status, q, severity, team, from, to, escalation.Value);
        if (filter.Error is { } error)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad filter", error);
        }

        var query = filter.Query(n) with { Before = before };

        // One more than asked tells whether there is a next page.
        var incidents = await store.ListIncidentsAsync(query with { Limit = n + 1 }, ct);
        if (incidents.Count > n)
        {
            Next(http, $"/api/incidents?{filter.QueryString()}&limit={n}&cursor={Cursor.Incidents(incidents[n - 1].Number)}");
        }

        return Results.Ok(incidents.Take(n).Select(IncidentDto.From).ToList());
    }

    /// <summary>The incident with its tally, its first and latest alerts, and the start of its timeline.</summary>
    /// <param name="alerts">How many of its first and of its latest alerts to show: 0 to 100; default 10.</param>
    /// <param name="timeline">How many of its first timeline entries to show: 0 to 500; default 100.</param>
    private static async Task<IResult> GetAsync(IIncidentReads store, string id, string? alerts, string? timeline, CancellationToken ct)
    {
        if (Count(alerts, 10) is not { } shown || shown > MaxAlertsOnPage)
        {
            return BadLimit("alerts", alerts, 0, MaxAlertsOnPage);
        }

        if (Count(timeline, 100) is not { } entries || entries > MaxLimit)
        {
            return BadLimit("timeline", timeline, 0, MaxLimit);
        }

        if (await FindAsync(store, id, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var first = await store.ListAlertsAsync(incident.Number, new AlertQuery(shown + 1), ct);
        var latest = shown == 0 ? [] : await store.ListAlertsAsync(incident.Number, new AlertQuery(shown, NewestFirst: true), ct);
        var told = await store.ListTimelineAsync(incident.Number, new TimelineQuery(entries + 1), ct);
        var links = new IncidentLinksDto(
            first.Count > shown && shown > 0 ? $"{Path(incident)}/alerts?cursor={Cursor.Alerts(AlertPosition.Of(first[shown - 1]), false)}" : null,
            told.Count > entries && entries > 0 ? $"{Path(incident)}/timeline?cursor={Cursor.Timeline(TimelinePosition.Of(told[entries - 1]))}" : null);
        return Results.Ok(new IncidentDetailsDto(
            IncidentDto.From(incident),
            first.Take(shown).Select(AlertDto.From).ToList(),
            latest.Select(AlertDto.From).ToList(),
            told.Take(entries).Select(TimelineEntryDto.From).ToList(),
            links));
    }

    /// <param name="order"><c>first</c> (first seen first, the default) or <c>latest</c> (newest first).</param>
    /// <param name="limit">1 to 500; default 100.</param>
    /// <param name="cursor">From the previous page's <c>Link</c> header; it keeps the page's order.</param>
    private static async Task<IResult> AlertsAsync(HttpContext http, IIncidentReads store, string id, string? order, string? limit, string? cursor, CancellationToken ct)
    {
        if (Limit(limit, 100) is not { } n)
        {
            return BadLimit("limit", limit, 1, MaxLimit);
        }

        if (AlertPage(order, cursor, BadCursor, out var newest, out var after) is { } problem)
        {
            return problem;
        }

        if (await FindAsync(store, id, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var page = await store.ListAlertsAsync(incident.Number, new AlertQuery(n + 1, after, newest), ct);
        if (page.Count > n)
        {
            Next(http, $"{Path(incident)}/alerts?limit={n}&cursor={Cursor.Alerts(AlertPosition.Of(page[n - 1]), newest)}");
        }

        return Results.Ok(page.Take(n).Select(AlertDto.From).ToList());
    }

    /// <summary>
    /// Where a page of an incident's alerts starts (after the cursor's alert) and in which order: <paramref name="order"/>
    /// (<c>first</c>, the default, or <c>latest</c>), else the cursor's own; or the problem with them (a cursor that is
    /// not an alert page's is answered by <paramref name="badCursor"/>). The read API's and the console's pages.
    /// </summary>
    internal static IResult? AlertPage(string? order, string? cursor, Func<string, IResult> badCursor, out bool newestFirst, out AlertPosition? after)
    {
        (newestFirst, after) = (false, null);
        bool? asked = null;
        if (!string.IsNullOrEmpty(order))
        {
            if (order is not ("first" or "latest"))
            {
                return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad order", $"order must be first or latest; it was '{order}'.");
            }

            asked = newestFirst = order == "latest";
        }

        if (!string.IsNullOrEmpty(cursor))
        {
            if (!Cursor.TryAlerts(cursor, out after, out var cursorNewest))
            {
                return badCursor(cursor);
            }

            if (asked is { } explicitOrder && explicitOrder != cursorNewest)
            {
                return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad order", $"The cursor continues the '{(cursorNewest ? "latest" : "first")}' order; order was '{order}'.");
            }

            newestFirst = cursorNewest;
        }

        return null;
    }

    /// <param name="kind">Only these kinds, comma-separated (note, update, status_changed, alert_firing, ...).</param>
    /// <param name="limit">1 to 500; default 100.</param>
    /// <param name="cursor">From the previous page's <c>Link</c> header.</param>
    private static async Task<IResult> TimelineAsync(HttpContext http, IIncidentReads store, string id, string? kind, string? limit, string? cursor, CancellationToken ct)
    {
        if (Limit(limit, 100) is not { } n)
        {
            return BadLimit("limit", limit, 1, MaxLimit);
        }

        List<TimelineKind>? kinds = null;
        if (!string.IsNullOrEmpty(kind))
        {
            kinds = [];
            foreach (var name in kind.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!TimelineKindText.TryParse(name, out var k))
                {
                    return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad kind",
                        $"kind '{name}' is not one of {string.Join(", ", Enum.GetValues<TimelineKind>().Select(TimelineKindText.Name))}.");
                }

                kinds.Add(k);
            }
        }

        TimelinePosition? after = null;
        if (!string.IsNullOrEmpty(cursor) && !Cursor.TryTimeline(cursor, out after))
        {
            return BadCursor(cursor);
        }

        if (await FindAsync(store, id, ct) is not { } incident)
        {
            return NoSuchIncident(id);
        }

        var page = await store.ListTimelineAsync(incident.Number, new TimelineQuery(n + 1, after, kinds), ct);
        if (page.Count > n)
        {
            var kindPart = kind is { Length: > 0 } ? $"kind={Uri.EscapeDataString(kind)}&" : "";
            Next(http, $"{Path(incident)}/timeline?{kindPart}limit={n}&cursor={Cursor.Timeline(TimelinePosition.Of(page[n - 1]))}");
        }

        return Results.Ok(page.Take(n).Select(TimelineEntryDto.From).ToList());
    }

    private static async Task<Incident?> FindAsync(IIncidentReads store, string id, CancellationToken ct) =>
        Incident.ParseKey(id) is { } number ? await store.GetIncidentAsync(number, ct) : null;

    private static string Path(Incident incident) => $"/api/incidents/{incident.Key}";

    private static void Next(HttpContext http, string target) => http.Response.Headers.Append("Link", $"<{target}>; rel=\"next\"");

    private static IResult NoSuchIncident(string id) => WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "No such incident", $"No incident '{id}'.");

    private static IResult BadCursor(string cursor) => WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad cursor",
        $"'{(cursor.Length > 64 ? cursor[..64] + "..." : cursor)}' is not a cursor of this list: take it from the Link header of the previous page.");

    private static IResult BadLimit(string name, string? text, int min, int max) =>
        WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, $"Bad {name}", $"{name} must be a whole number from {min} to {max}; it was '{text}'.");

    /// <summary>A page size from 1 to <see cref="MaxLimit"/> (bound here, so that "abc" gets the same clear answer as an out-of-range number).</summary>
    private static int? Limit(string? text, int fallback) => Count(text, fallback) is { } n && n is >= 1 and <= MaxLimit ? n : null;

    private static int? Count(string? text, int fallback) =>
        string.IsNullOrEmpty(text) ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : null;
}
