using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Webhooks;

namespace Bot.Api;

/// <summary>The read API: <c>GET /api/incidents</c> and <c>GET /api/incidents/{id}</c>.</summary>
internal static class IncidentEndpoints
{
    public const int MaxLimit = 500;

    /// <summary>The most alerts one answer lists; a storm's incident can hold many more (its <c>alertCount</c> says how many).</summary>
    public const int MaxAlerts = 10_000;

    public static void MapIncidentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/incidents").RequireAuthorization(Security.ApiScopes.Read);
        api.MapGet("/", ListAsync);
        api.MapGet("/{id}", GetAsync);
    }

    /// <param name="status">triggered, acknowledged, mitigated, resolved, or open (all but resolved).</param>
    /// <param name="limit">1 to 500; default 100.</param>
    private static async Task<IResult> ListAsync(IIncidentReads store, string? status, string? limit, CancellationToken ct)
    {
        if (!TryParseCount(limit, 100, out var n) || n is < 1 or > MaxLimit)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad limit", $"limit must be a whole number from 1 to {MaxLimit}; it was '{limit}'.");
        }

        IncidentQuery query;
        if (string.IsNullOrEmpty(status))
        {
            query = new IncidentQuery(null, false, n);
        }
        else if (status.Equals("open", StringComparison.OrdinalIgnoreCase))
        {
            query = new IncidentQuery(null, true, n);
        }
        else if (IncidentStatusText.Parse(status) is { } parsed)
        {
            query = new IncidentQuery(parsed, false, n);
        }
        else
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad status", $"status '{status}' is not one of open, triggered, acknowledged, mitigated, resolved.");
        }

        var incidents = await store.ListIncidentsAsync(query, ct);
        return Results.Ok(incidents.Select(IncidentDto.From).ToList());
    }

    /// <param name="alerts">How many of its alerts to list, first seen first: 0 to 10,000; default 1,000.</param>
    private static async Task<IResult> GetAsync(IIncidentReads store, string id, string? alerts, CancellationToken ct)
    {
        if (!TryParseCount(alerts, 1_000, out var shown) || shown is < 0 or > MaxAlerts)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Bad alerts", $"alerts must be a whole number from 0 to {MaxAlerts}; it was '{alerts}'.");
        }

        if (Incident.ParseKey(id) is not { } number || await store.GetIncidentAsync(number, ct) is not { } incident)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "No such incident", $"No incident '{id}'.");
        }

        var listed = await store.GetFirstAlertsAsync(number, shown, ct);
        var timeline = await store.GetTimelineAsync(number, ct);
        return Results.Ok(new IncidentDetailsDto(IncidentDto.From(incident), listed.Select(AlertDto.From).ToList(), timeline.Select(TimelineEntryDto.From).ToList()));
    }

    /// <summary>A whole number from the query (bound here, so that "abc" gets the same clear answer as an out-of-range number).</summary>
    private static bool TryParseCount(string? text, int fallback, out int value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = fallback;
            return true;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
