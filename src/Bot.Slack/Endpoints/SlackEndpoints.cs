using System.Text;
using System.Text.Json;
using Bot.Core.Ports;
using Bot.Slack.Handlers;
using Bot.Slack.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Endpoints;

/// <summary>
/// <c>/slack/commands</c>, <c>/slack/interactions</c> and <c>/slack/events</c>. Each request's v0 signature is
/// checked first (401 and nothing done otherwise). Slack wants an answer within 3 seconds: commands answer in place
/// when they finish within <see cref="SlackInbound.AckBudget"/>, else at once with "working on it" and later via
/// response_url; interactions are acknowledged at once and handled in the background; events are stored as jobs.
/// </summary>
public static class SlackEndpoints
{
    private const long MaxBody = 1024 * 1024;

    public static IEndpointRouteBuilder MapSlack(this IEndpointRouteBuilder app)
    {
        app.MapPost("/slack/commands", CommandsAsync);
        app.MapPost("/slack/interactions", InteractionsAsync);
        app.MapPost("/slack/events", EventsAsync);
        return app;
    }

    private static async Task<IResult> CommandsAsync(HttpContext http, SlackInbound inbound)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body!)).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        var response = await inbound.CommandInTimeAsync(SlashCommand.FromForm(form));
        return Results.Json(new SlashCommandAnswer(response.ResponseType, response.Text), SlackJsonContext.Default.SlashCommandAnswer);
    }

    private static async Task<IResult> InteractionsAsync(HttpContext http, SlackInbound inbound)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var payload = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body!)).GetValueOrDefault("payload").ToString();
        if (string.IsNullOrEmpty(payload))
        {
            return Bad("Bad interaction", "The form field 'payload' is missing.");
        }

        try
        {
            using var doc = SlackPayload.Parse(payload);
            if (SlackInbound.Text(doc.RootElement, "type") == "view_submission")
            {
                // Slack waits for this answer: empty closes the modal, response_action: errors shows what to fix.
                return await inbound.ViewSubmissionAsync(doc.RootElement) is { } answer ? Results.Text(answer, "application/json") : Results.Ok();
            }

            inbound.Interaction(doc.RootElement);
            return Results.Ok();
        }
        catch (SlackPayloadException e)
        {
            return Bad("Bad interaction", e.Message.StartsWith("Malformed JSON", StringComparison.Ordinal) ? $"The form field 'payload' is not JSON: {e.Message}" : e.Message);
        }
    }

    private static async Task<IResult> EventsAsync(HttpContext http, SlackInbound inbound)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        try
        {
            using var doc = SlackPayload.Parse(body);
            return await inbound.EventAsync(doc.RootElement, http.RequestAborted) is { } challenge
                ? Results.Json(new ChallengeAnswer(challenge), SlackJsonContext.Default.ChallengeAnswer)
                : Results.Ok(); // stored as a job, or an event we do not subscribe to
        }
        catch (SlackPayloadException e)
        {
            return Bad("Bad event", e.Message);
        }
        catch (StoreUnavailableException)
        {
            http.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: 503, title: "Store unavailable", detail: "The event was not stored; Slack will send it again.");
        }
    }

    private static IResult Bad(string title, string detail) => Results.Problem(statusCode: 400, title: title, detail: detail);

    /// <summary>Reads the body (at most 1 MiB) and checks Slack's signature; returns the refusal when it fails.</summary>
    private static async Task<(byte[]? Body, IResult? Refusal)> VerifiedBodyAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<SlackOptions>>().Value;
        if (string.IsNullOrEmpty(options.SigningSecret))
        {
            return (null, Results.Problem(statusCode: 404, title: "Slack is not configured", detail: "Set Slack:SigningSecret to receive Slack requests."));
        }

        if (http.Request.ContentLength > MaxBody)
        {
            return (null, Results.Problem(statusCode: 413, title: "Payload too large", detail: $"Slack requests are at most {MaxBody} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody;
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var check = SlackSignature.Verify(
            options.SigningSecret, http.Request.Headers[SlackSignature.TimestampHeader], http.Request.Headers[SlackSignature.SignatureHeader], body, time.GetUtcNow(), options.SignatureTolerance);
        return check == SignatureCheck.Valid
            ? (body, null)
            : (null, Results.Problem(statusCode: 401, title: "Bad Slack signature", detail: check switch
            {
                SignatureCheck.MissingHeaders => $"The {SlackSignature.TimestampHeader} and {SlackSignature.SignatureHeader} headers are required.",
                SignatureCheck.Stale => "The request timestamp is more than five minutes from now (a replay, or a clock that is off).",
                _ => "The signature does not match the body (wrong Slack:SigningSecret, or a changed body).",
            }));
    }
}
