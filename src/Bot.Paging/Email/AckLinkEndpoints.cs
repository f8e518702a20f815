using System.Net;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Email;

/// <summary>
/// <c>/ack/{link}</c>: an e-mail's acknowledge link. <c>GET</c> shows the incident and a button (mail scanners open
/// links; opening one acknowledges nothing); the button's <c>POST</c> acknowledges, once, before the link expires.
/// </summary>
public static class AckLinkEndpoints
{
    public static IEndpointRouteBuilder MapAckLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ack/{link}", ShowAsync);
        app.MapPost("/ack/{link}", AcknowledgeAsync).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> ShowAsync(string link, IOptions<EmailOptions> options, IIncidentReads reads, TimeProvider time, HttpContext http)
    {
        if (Check(link, options.Value, time) is not { } good)
        {
            return Page(StatusCodes.Status404NotFound, "This link is not valid", "It may be mistyped, or it has expired. Acknowledge in the incident's channel with /incident ack.");
        }

        var incident = await reads.GetIncidentAsync(good.Incident, http.RequestAborted);
        if (incident is null)
        {
            return Page(StatusCodes.Status404NotFound, "No such incident", "");
        }

        return Page(
            StatusCodes.Status200OK,
            $"{incident.Key} {incident.Severity.Display()}: {incident.Title}",
            incident.Status == IncidentStatus.Triggered ? "Waiting for an acknowledgement." : $"It is {incident.Status.Name()}.",
            $"<form method=\"post\"><button type=\"submit\">Acknowledge {WebUtility.HtmlEncode(incident.Key)}</button></form>");
    }

    private static async Task<IResult> AcknowledgeAsync(
        string link, IOptions<EmailOptions> options, TimeProvider time, IUnitOfWork<IEscalationSession> store, PageReplies replies, HttpContext http)
    {
        if (Check(link, options.Value, time) is not { } good)
        {
            return Page(StatusCodes.Status404NotFound, "This link is not valid", "It may be mistyped, or it has expired. Acknowledge in the incident's channel with /incident ack.");
        }

        if (!await store.WriteAsync(s => s.UseAckLink(AckLinks.Hash(link)), http.RequestAborted))
        {
            return Page(StatusCodes.Status410Gone, "This link was used already", "A link acknowledges once.");
        }

        var answer = await replies.AcknowledgeAsync(good.User, "e-mail", good.Incident, http.RequestAborted);
        return Page(answer.Ok ? StatusCodes.Status200OK : StatusCodes.Status409Conflict, answer.Ok ? "Acknowledged" : "Not acknowledged", answer.Text);
    }

    private static AckLinks.Link? Check(string link, EmailOptions o, TimeProvider time) =>
        o.IsConfigured && o.LinkSecret is { } secret && AckLinks.Read(secret, link) is { } read && read.Expires > time.GetUtcNow() ? read : null;

    private static IResult Page(int status, string title, string text, string form = "") => Results.Content(
        $"""
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <meta name="referrer" content="no-referrer"><title>{WebUtility.HtmlEncode(title)}</title></head>
        <body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p>{form}</body></html>
        """,
        "text/html; charset=utf-8",
        statusCode: status);
}
