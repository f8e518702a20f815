using System.Security;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Twilio;

/// <summary>
/// <c>POST /twilio/sms</c>: Twilio's messaging webhook for the pages' number. A reply of <c>1</c> (or <c>ack</c>) from a
/// person's phone acknowledges the newest incident that paged them. The request must carry Twilio's signature over
/// it, made with the account's auth token: a forged or altered one gets 403 and changes nothing. <c>POST /twilio/voice</c>:
/// the key pressed in a page's call; <c>POST /twilio/status</c>: how a page's SMS or call ended.
/// </summary>
public static class TwilioEndpoints
{
    public static IEndpointRouteBuilder MapTwilio(this IEndpointRouteBuilder app)
    {
        app.MapPost("/twilio/sms", SmsAsync).DisableAntiforgery();
        app.MapPost("/twilio/voice", VoiceAsync).DisableAntiforgery();
        app.MapPost("/twilio/status", StatusAsync).DisableAntiforgery();
        return app;
    }

    /// <summary>Where Twilio tells how a page's SMS or call ended: the incident, the person and the channel in the (signed) address.</summary>
    public static string StatusCallback(Uri publicUrl, Bot.Core.Incidents.Incident incident, string user, string channel) =>
        new Uri(publicUrl, $"twilio/status?incident={incident.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)}&user={Uri.EscapeDataString(user)}&channel={channel}").ToString();

    /// <summary>
    /// A page's SMS or call status, as Twilio posts it to the page's <c>StatusCallback</c> (signed): its end (delivered,
    /// undelivered, failed; completed, busy, no-answer, canceled) is noted on the incident's timeline, once; the statuses
    /// on the way are answered and not noted.
    /// </summary>
    private static async Task<IResult> StatusAsync(HttpContext http, long incident, string user, string channel, IOptions<TwilioOptions> options, DeliveryReports reports, ILoggerFactory logs)
    {
        if (await VerifiedFormAsync(http, options.Value, logs) is not { } form)
        {
            return Refused(options.Value);
        }

        var sms = channel == NotificationRule.Sms;
        if (!sms && channel != NotificationRule.Voice)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad channel", detail: $"channel '{channel}' is neither sms nor voice.");
        }

        var id = form[sms ? "MessageSid" : "CallSid"].ToString();
        var status = form[sms ? "MessageStatus" : "CallStatus"].ToString();
        var code = form["ErrorCode"].ToString();
        var seconds = int.TryParse(form["CallDuration"].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : (int?)null;
        await reports.NoteAsync(new DeliveryReport(incident, user, "Twilio", channel, id, status, code.Length == 0 ? null : TwilioErrors.Describe(code), seconds), http.RequestAborted);
        return Results.NoContent();
    }

    /// <summary>The key pressed in a page's call: 1 acknowledges the incident named in the (signed) address, as the callee.</summary>
    private static async Task<IResult> VoiceAsync(HttpContext http, long incident, IOptions<TwilioOptions> options, PageReplies replies, ILoggerFactory logs)
    {
        if (await VerifiedFormAsync(http, options.Value, logs) is not { } form)
        {
            return Refused(options.Value);
        }

        if (replies.UserByPhone(form["To"].ToString()) is not { } user)
        {
            return Say("This number does not page anyone here. Goodbye.");
        }

        if (form["Digits"].ToString() != "1")
        {
            return Say("Not acknowledged. Goodbye.");
        }

        var answer = await replies.AcknowledgeAsync(user, "phone call", incident, http.RequestAborted);
        return Say(answer.Ok ? $"Incident {incident} is acknowledged. Thank you." : "It was not acknowledged: " + answer.Text);
    }

    private static IResult Say(string text) =>
        Results.Text($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{SecurityElement.Escape(text)}</Say></Response>", "text/xml");

    /// <summary>The form of a request Twilio signed, or null (and the refusal logged).</summary>
    private static async Task<IFormCollection?> VerifiedFormAsync(HttpContext http, TwilioOptions o, ILoggerFactory logs)
    {
        if (!o.IsConfigured || !http.Request.HasFormContentType)
        {
            return null;
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var fields = form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString())).ToList();
        var url = o.PublicUrl is { } publicUrl ? new Uri(publicUrl, http.Request.Path + http.Request.QueryString).ToString() : http.Request.GetEncodedUrl();
        if (!TwilioSignature.IsValid(o.AuthToken!, url, fields, http.Request.Headers["X-Twilio-Signature"]))
        {
            logs.CreateLogger("Bot.Paging.Twilio").LogWarning("A request to {Path} without Twilio's signature over {Url} was refused", http.Request.Path, url);
            return null;
        }

        return form;
    }

    private static IResult Refused(TwilioOptions o) => o.IsConfigured
        ? Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "The X-Twilio-Signature does not match this request.")
        : Results.NotFound();

    private static async Task<IResult> SmsAsync(HttpContext http, IOptions<TwilioOptions> options, PageReplies replies, ILoggerFactory logs)
    {
        if (await VerifiedFormAsync(http, options.Value, logs) is not { } form)
        {
            return Refused(options.Value);
        }

        var from = form["From"].ToString();
        var text = form["Body"].ToString().Trim();
        if (replies.UserByPhone(from) is not { } user)
        {
            return Reply("This number does not page anyone here.");
        }

        if (!text.Equals("1", StringComparison.Ordinal) && !text.Equals("ack", StringComparison.OrdinalIgnoreCase))
        {
            return Reply("Reply 1 to acknowledge your latest page.");
        }

        var answer = await replies.AcknowledgeAsync(user, "SMS", cancellationToken: http.RequestAborted);
        return Reply(answer.Text);
    }

    /// <summary>TwiML: the SMS Twilio sends back to the person.</summary>
    private static IResult Reply(string text) =>
        Results.Text($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{SecurityElement.Escape(text)}</Message></Response>", "text/xml");

}
