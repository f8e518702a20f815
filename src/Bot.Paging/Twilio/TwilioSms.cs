using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Twilio;

/// <summary>
/// SMS pages through Twilio's Messages API: one segment (160 GSM characters: the text is cut, and anything outside
/// plain ASCII replaced), ending "Reply 1 to acknowledge" and a short reference. Twilio has no idempotency key, so a
/// try that may have sent already first looks for its reference among today's messages to that number.
/// </summary>
public sealed class TwilioSms(IHttpClientFactory http, IOptions<TwilioOptions> options, TimeProvider time) : INotifier
{
    public const string HttpClientName = "twilio";
    private const int SegmentLength = 160;

    public string Channel => NotificationRule.Sms;

    private TwilioOptions O => options.Value;

    public async Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var body = Body(message.Text, Reference(run.Key));
        var client = http.CreateClient(HttpClientName);
        if (run.MayHaveRunBefore && await AlreadySentAsync(client, message.Address, Reference(run.Key), cancellationToken))
        {
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Messages())
        {
            Content = new FormUrlEncodedContent([new("To", message.Address), new("From", O.From!), new("Body", body)]),
        };
        request.Headers.Authorization = Basic();
        using var response = await SendAsync(client, request, "Messages.create", cancellationToken);
    }

    /// <summary>The page's text cut to one segment with the reply hint and the reference.</summary>
    public static string Body(string text, string reference)
    {
        var tail = $" Reply 1 to acknowledge. ({reference})";
        var ascii = new string(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
        var room = SegmentLength - tail.Length;
        return (ascii.Length <= room ? ascii : ascii[..(room - 3)] + "...") + tail;
    }

    /// <summary>A short reference of the job (its key's hash): how a retry recognises the message it may have sent.</summary>
    public static string Reference(string key) => "ref " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..6];

    private async Task<bool> AlreadySentAsync(HttpClient client, string to, string reference, CancellationToken cancellationToken)
    {
        var since = time.GetUtcNow().UtcDateTime.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Messages()}?To={Uri.EscapeDataString(to)}&DateSent%3E={since}&PageSize=50");
        request.Headers.Authorization = Basic();
        using var response = await SendAsync(client, request, "Messages.list", cancellationToken);
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        return json.RootElement.TryGetProperty("messages", out var messages)
            && messages.EnumerateArray().Any(m => m.TryGetProperty("body", out var b) && (b.GetString() ?? "").Contains($"({reference})", StringComparison.Ordinal));
    }

    private string Messages() => new Uri(O.ApiBaseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(O.AccountSid!)}/Messages.json").ToString();

    private AuthenticationHeaderValue Basic() => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{O.AccountSid}:{O.AuthToken}")));

    /// <summary>Sends, counting the call; maps Twilio's answers to the outbox's terms.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, string method, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            Count(method, "error");
            throw; // retried with backoff
        }

        if (response.IsSuccessStatusCode)
        {
            Count(method, "ok");
            return response;
        }

        using (response)
        {
            var (code, said) = await ErrorAsync(response, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Count(method, "rate_limited");
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(5);
                BotTelemetry.RateLimitWaits.Record(wait.TotalSeconds, BotTelemetry.Tag("service", "twilio"), BotTelemetry.Tag("method", method));
                throw new RetryLaterException($"Twilio rate-limited the SMS ({said})", wait);
            }

            Count(method, "error");
            if ((int)response.StatusCode >= 500)
            {
                throw new IOException($"Twilio failed to send the SMS (HTTP {(int)response.StatusCode}): {said}");
            }

            throw new PermanentEffectException(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? $"Twilio refused the credentials (Twilio:AccountSid, Twilio:AuthToken): {said}"
                : $"Twilio refused the SMS ({code}: {said})");
        }
    }

    private static async Task<(string Code, string Message)> ErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
            var root = json.RootElement;
            return (root.TryGetProperty("code", out var c) ? c.ToString() : $"HTTP {(int)response.StatusCode}",
                root.TryGetProperty("message", out var m) ? m.GetString() ?? "" : response.ReasonPhrase ?? "");
        }
        catch (JsonException)
        {
            return ($"HTTP {(int)response.StatusCode}", response.ReasonPhrase ?? "");
        }
    }

    private static void Count(string method, string outcome) =>
        BotTelemetry.Calls.Add(1, BotTelemetry.Tag("service", "twilio"), BotTelemetry.Tag("method", method), BotTelemetry.Tag("outcome", outcome));
}
