using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Telemetry;

namespace Bot.Paging;

/// <summary>
/// Outgoing webhooks over HTTP: the JSON body, <c>X-Incident-Bot-Timestamp</c> (Unix seconds),
/// <c>X-Incident-Bot-Signature: v1=&lt;hex HMAC-SHA256 of "timestamp.body" under the webhook's secret&gt;</c> (the receiver
/// recomputes it and refuses old timestamps), and <c>Idempotency-Key</c> (the same on every try of one step's call).
/// 2xx is done; 408, 429, 5xx and no answer are tried again; any other answer fails for good.
/// </summary>
public sealed class HttpWebhookSender(IHttpClientFactory http, TimeProvider time) : IWebhookSender
{
    public const string HttpClientName = "outgoing-webhooks";

    public async Task SendAsync(string name, OutgoingWebhookOptions target, string json, string idempotencyKey, CancellationToken cancellationToken)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Incident-Bot-Timestamp", timestamp);
        request.Headers.Add("X-Incident-Bot-Signature", "v1=" + Sign(target.Secret!, timestamp, json));
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Count(name, "error");
            throw new IOException($"webhook {name} did not answer: {e.Message}", e);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                Count(name, "ok");
                return;
            }

            Count(name, response.StatusCode == HttpStatusCode.TooManyRequests ? "rate_limited" : "error");
            if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
            {
                throw response.Headers.RetryAfter?.Delta is { } wait
                    ? new RetryLaterException($"webhook {name} answered {(int)response.StatusCode}", wait)
                    : new IOException($"webhook {name} answered {(int)response.StatusCode}");
            }

            throw new PermanentEffectException($"webhook {name} refused the call: HTTP {(int)response.StatusCode}");
        }
    }

    /// <summary>The signature's hex HMAC-SHA256 of <c>timestamp.body</c>.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private static void Count(string name, string outcome) =>
        BotTelemetry.Calls.Add(1, BotTelemetry.Tag("service", "webhook"), BotTelemetry.Tag("method", name), BotTelemetry.Tag("outcome", outcome));
}
