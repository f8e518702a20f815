using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bot.Core.Effects;
using Bot.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Twilio;

/// <summary>
/// Twilio's REST API as the notifiers use it: a resource of the account, basic authentication as the account, form
/// posts, and its answers in the outbox's terms (429: later, after Retry-After; 5xx and no connection: again with
/// backoff; any other refusal: for good, with Twilio's error code). Each request is counted.
/// </summary>
public sealed class TwilioApi(IHttpClientFactory http, IOptions<TwilioOptions> options)
{
    public const string HttpClientName = "twilio";

    private TwilioOptions O => options.Value;

    /// <summary>Creates a resource (<c>Messages</c>, <c>Calls</c>) from form fields.</summary>
    public async Task CreateAsync(string resource, IEnumerable<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(resource)) { Content = new FormUrlEncodedContent(form) };
        using var response = await SendAsync(request, $"{resource}.create", cancellationToken);
    }

    /// <summary>Lists a resource with a query (<c>To=...&amp;DateSent&gt;=...</c>): its items, by the list's own property name.</summary>
    public async Task<IReadOnlyList<JsonElement>> ListAsync(string resource, string query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Url(resource)}?{query}");
        using var response = await SendAsync(request, $"{resource}.list", cancellationToken);
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        return json.RootElement.TryGetProperty(resource.ToLowerInvariant(), out var items) ? [.. items.EnumerateArray().Select(i => i.Clone())] : [];
    }

    private string Url(string resource) => new Uri(O.ApiBaseUrl, $"2010-04-01/Accounts/{Uri.EscapeDataString(O.AccountSid!)}/{resource}.json").ToString();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string method, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{O.AccountSid}:{O.AuthToken}")));
        HttpResponseMessage response;
        try
        {
            response = await http.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
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
                throw new RetryLaterException($"Twilio rate-limited {method} ({said})", wait);
            }

            Count(method, "error");
            if ((int)response.StatusCode >= 500)
            {
                throw new IOException($"Twilio failed {method} (HTTP {(int)response.StatusCode}): {said}");
            }

            throw new PermanentEffectException(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? $"Twilio refused the credentials (Twilio:AccountSid, Twilio:AuthToken): {said}"
                : $"Twilio refused {method} ({code}: {said})");
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
