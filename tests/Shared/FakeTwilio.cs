using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bot.Tests.Shared;

/// <summary>
/// A stand-in for Twilio's Messages API on 127.0.0.1, checking each request as Twilio does (from its published API
/// description): the account SID in the path, basic authentication as that SID with its auth token (401, error 20003,
/// otherwise), form fields To, From and Body (400, error 21604/21603/21602), To in E.164 (400, error 21211), Body at most
/// 1,600 characters (400, error 21617); answers 201 with the message resource, and lists messages by To. It also sends
/// the person's SMS replies to the bot, signed as Twilio signs its webhooks; and the Calls API (To, From, and Twiml that
/// must parse, with absolute Gather actions), whose callee's key press it posts to the call's Gather action, signed. A
/// message's or call's StatusCallback must be an absolute http(s) URL (400, error 21609), a call's StatusCallbackEvent
/// Twilio's words (400, error 21626); the test posts their statuses there, signed.
/// </summary>
public sealed partial class FakeTwilio : IAsyncDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "0123456789abcdef0123456789abcdef";
    public const string From = "+15550000000";

    private readonly WebApplication _app;
    private int _next;
    private long _answerLateTicks;

    /// <summary>The next message is accepted (sent) but answered only after <paramref name="delay"/>: a client that gave up first does not know.</summary>
    public void AnswerNextLate(TimeSpan delay) => Interlocked.Exchange(ref _answerLateTicks, delay.Ticks);

    /// <summary>A message held by <see cref="AnswerNextLate"/> is answered now.</summary>
    public void AnswerNow() => _answerNow.TrySetResult();

    private readonly TaskCompletionSource _answerNow = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeTwilio(WebApplication app) => _app = app;

    public Uri ApiBaseUrl { get; private set; } = null!;

    /// <summary>Messages accepted, in order.</summary>
    public ConcurrentQueue<Message> Messages { get; } = new();

    /// <summary>Requests refused, with Twilio's error code.</summary>
    public ConcurrentQueue<string> Refused { get; } = new();

    /// <param name="StatusCallback">Where Twilio posts the message's status as it changes (none without it).</param>
    public sealed record Message(string Sid, string To, string From, string Body, DateTimeOffset At, Uri? StatusCallback = null);

    /// <summary>Calls placed, in order, with the TwiML they run.</summary>
    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <param name="StatusCallback">Where Twilio posts how the call ended (<c>StatusCallbackEvent</c> completed, the default).</param>
    public sealed record Call(string Sid, string To, string From, System.Xml.Linq.XElement Twiml, DateTimeOffset At, Uri? StatusCallback = null)
    {
        /// <summary>Where the call's Gather posts the key pressed.</summary>
        public Uri GatherAction => new(Twiml.Descendants("Gather").Single().Attribute("action")!.Value);
    }

    public static async Task<FakeTwilio> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeTwilio(app);
        app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", fake.CreateAsync);
        app.MapGet("/2010-04-01/Accounts/{sid}/Messages.json", fake.List);
        app.MapPost("/2010-04-01/Accounts/{sid}/Calls.json", fake.CallAsync);
        app.MapGet("/2010-04-01/Accounts/{sid}/Calls.json", fake.ListCalls);
        await app.StartAsync();
        fake.ApiBaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/");
        return fake;
    }

    /// <summary>The person's reply, as Twilio posts it to the number's messaging webhook, signed with the auth token (or <paramref name="signWith"/>).</summary>
    public async Task<HttpResponseMessage> ReplyAsync(Uri webhook, string from, string body, string? signWith = null)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid,
            ["ApiVersion"] = "2010-04-01",
            ["Body"] = body,
            ["From"] = from,
            ["MessageSid"] = $"SM{Interlocked.Increment(ref _next):x32}",
            ["NumMedia"] = "0",
            ["To"] = From,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, webhook) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Signature(signWith ?? AuthToken, webhook.ToString(), form));
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    /// <summary>
    /// The callee pressing <paramref name="digits"/> in the call: Twilio posts them to the Gather's action, signed over
    /// that URL. <paramref name="via"/>: the address that URL's host reaches (a reverse proxy in front of the bot).
    /// </summary>
    public async Task<HttpResponseMessage> PressAsync(Call call, string digits, Uri via, string? signWith = null)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid,
            ["CallSid"] = call.Sid,
            ["CallStatus"] = "in-progress",
            ["Digits"] = digits,
            ["Direction"] = "outbound-api",
            ["From"] = call.From,
            ["To"] = call.To,
        };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(via, call.GatherAction.PathAndQuery)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Signature(signWith ?? AuthToken, call.GatherAction.ToString(), form));
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    /// <summary>A status callback's address: none, or an absolute http(s) URL whose host has no underscore (Twilio refuses anything else).</summary>
    private static bool ValidCallback(string value, out Uri? url)
    {
        url = null;
        return value.Length == 0 || Uri.TryCreate(value, UriKind.Absolute, out url) && url.Scheme is "http" or "https" && !url.Host.Contains('_', StringComparison.Ordinal);
    }

    /// <summary>
    /// How the message ended, as Twilio posts it to the message's <c>StatusCallback</c>, signed over that URL: its
    /// <c>MessageStatus</c> (<c>delivered</c>, <c>undelivered</c>, <c>failed</c>, or one on the way: <c>sent</c>) and, when it
    /// failed, an <c>ErrorCode</c>. <paramref name="via"/>: the address that URL's host reaches.
    /// </summary>
    public Task<HttpResponseMessage> MessageStatusAsync(Message message, string status, Uri via, string? errorCode = null, string? signWith = null)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid,
            ["ApiVersion"] = "2010-04-01",
            ["From"] = message.From,
            ["MessageSid"] = message.Sid,
            ["MessageStatus"] = status,
            ["SmsSid"] = message.Sid,
            ["SmsStatus"] = status,
            ["To"] = message.To,
        };
        if (errorCode is not null)
        {
            form["ErrorCode"] = errorCode;
        }

        return PostSignedAsync(message.StatusCallback ?? throw new InvalidOperationException($"Message {message.Sid} was sent without a StatusCallback."), form, via, signWith);
    }

    /// <summary>How the call ended, as Twilio posts it to the call's <c>StatusCallback</c>: <c>completed</c> (answered, with its duration), <c>busy</c>, <c>no-answer</c>, <c>failed</c>, <c>canceled</c>.</summary>
    public Task<HttpResponseMessage> CallStatusAsync(Call call, string status, Uri via, int duration = 0)
    {
        var form = new Dictionary<string, string>
        {
            ["AccountSid"] = AccountSid,
            ["ApiVersion"] = "2010-04-01",
            ["CallDuration"] = duration.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CallSid"] = call.Sid,
            ["CallStatus"] = status,
            ["CallbackSource"] = "call-progress-events",
            ["Direction"] = "outbound-api",
            ["From"] = call.From,
            ["SequenceNumber"] = "0",
            ["Timestamp"] = DateTimeOffset.UtcNow.ToString("R"),
            ["To"] = call.To,
        };
        return PostSignedAsync(call.StatusCallback ?? throw new InvalidOperationException($"Call {call.Sid} was placed without a StatusCallback."), form, via, null);
    }

    private static async Task<HttpResponseMessage> PostSignedAsync(Uri url, Dictionary<string, string> form, Uri via, string? signWith)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(via, url.PathAndQuery)) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Signature(signWith ?? AuthToken, url.ToString(), form));
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    /// <summary>Twilio's documented algorithm: HMAC-SHA1 over the URL and the sorted parameters' names and values, base64.</summary>
    public static string Signature(string authToken, string url, IReadOnlyDictionary<string, string> form)
    {
        var data = new StringBuilder(url);
        foreach (var key in form.Keys.Order(StringComparer.Ordinal))
        {
            data.Append(key).Append(form[key]);
        }

        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    private async Task<IResult> CreateAsync(string sid, HttpContext http)
    {
        if (Unauthorized(sid, http) is { } refused)
        {
            return refused;
        }

        if (!http.Request.HasFormContentType)
        {
            return Error(400, 21620, "The request must be application/x-www-form-urlencoded");
        }

        var form = await http.Request.ReadFormAsync();
        string to = form["To"].ToString(), from = form["From"].ToString(), body = form["Body"].ToString();
        if (to.Length == 0)
        {
            return Error(400, 21604, "A 'To' phone number is required.");
        }

        if (from.Length == 0)
        {
            return Error(400, 21603, "A 'From' phone number is required.");
        }

        if (body.Length == 0)
        {
            return Error(400, 21602, "Message body is required.");
        }

        if (!E164().IsMatch(to))
        {
            return Error(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        }

        if (body.Length > 1600)
        {
            return Error(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
        }

        if (!ValidCallback(form["StatusCallback"].ToString(), out var callback))
        {
            return Error(400, 21609, $"Invalid StatusCallback: {form["StatusCallback"]}");
        }

        var message = new Message($"SM{Interlocked.Increment(ref _next):x32}", to, from, body, DateTimeOffset.UtcNow, callback);
        Messages.Enqueue(message);
        if (Interlocked.Exchange(ref _answerLateTicks, 0) is > 0 and var late)
        {
            await Task.WhenAny(Task.Delay(TimeSpan.FromTicks(late)), _answerNow.Task);
        }

        return Results.Json(Resource(message), statusCode: 201);
    }

    private async Task<IResult> CallAsync(string sid, HttpContext http)
    {
        if (Unauthorized(sid, http) is { } refused)
        {
            return refused;
        }

        var form = await http.Request.ReadFormAsync();
        string to = form["To"].ToString(), from = form["From"].ToString(), twiml = form["Twiml"].ToString();
        if (!E164().IsMatch(to))
        {
            return Error(400, 21211, $"The 'To' number {to} is not a valid phone number.");
        }

        if (from.Length == 0)
        {
            return Error(400, 21213, "Caller phone number is required.");
        }

        if (twiml.Length == 0 && form["Url"].ToString().Length == 0)
        {
            return Error(400, 21205, "Url or Twiml parameter is required.");
        }

        System.Xml.Linq.XElement document;
        try
        {
            document = System.Xml.Linq.XElement.Parse(twiml);
        }
        catch (System.Xml.XmlException e)
        {
            return Error(400, 21220, $"Invalid TwiML: {e.Message}");
        }

        if (document.Name != "Response" || document.Descendants("Gather").Any(g => !Uri.TryCreate(g.Attribute("action")?.Value, UriKind.Absolute, out _)))
        {
            return Error(400, 21220, "Invalid TwiML: the root is not Response, or a Gather's action is not an absolute URL.");
        }

        if (!ValidCallback(form["StatusCallback"].ToString(), out var callback))
        {
            return Error(400, 21609, $"Invalid StatusCallback: {form["StatusCallback"]}");
        }

        var events = form["StatusCallbackEvent"].ToString();
        if (events.Length > 0 && events.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(e => e is not ("initiated" or "ringing" or "answered" or "completed")))
        {
            return Error(400, 21626, $"Invalid StatusCallbackEvent: {events}");
        }

        var call = new Call($"CA{Interlocked.Increment(ref _next):x32}", to, from, document, DateTimeOffset.UtcNow, callback);
        Calls.Enqueue(call);
        return Results.Json(new { sid = call.Sid, account_sid = AccountSid, to, from, status = "queued", api_version = "2010-04-01" }, statusCode: 201);
    }

    private IResult ListCalls(string sid, HttpContext http)
    {
        if (Unauthorized(sid, http) is { } refused)
        {
            return refused;
        }

        var to = http.Request.Query["To"].ToString();
        return Results.Json(new { calls = Calls.Where(c => to.Length == 0 || c.To == to).Reverse().Select(c => new { sid = c.Sid, to = c.To, from = c.From, status = "completed" }).ToList() });
    }

    private IResult List(string sid, HttpContext http)
    {
        if (Unauthorized(sid, http) is { } refused)
        {
            return refused;
        }

        var to = http.Request.Query["To"].ToString();
        return Results.Json(new { messages = Messages.Where(m => to.Length == 0 || m.To == to).Reverse().Select(Resource).ToList() });
    }

    private IResult? Unauthorized(string sid, HttpContext http)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccountSid}:{AuthToken}"));
        return sid == AccountSid && http.Request.Headers.Authorization.ToString() == expected ? null : Error(401, 20003, "Authenticate");
    }

    private IResult Error(int status, int code, string message)
    {
        Refused.Enqueue($"{code} {message}");
        return Results.Json(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status }, statusCode: status);
    }

    private static object Resource(Message m) => new
    {
        sid = m.Sid,
        account_sid = AccountSid,
        to = m.To,
        from = m.From,
        body = m.Body,
        status = "queued",
        num_segments = ((m.Body.Length - 1) / 153 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        date_created = m.At.ToString("R"),
        api_version = "2010-04-01",
    };

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
