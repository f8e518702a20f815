using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>
/// Posts answers to <c>response_url</c>; only to Slack's own hooks host or, in tests, loopback. The text is Slack's
/// mrkdwn as sent (callers render chat text with <see cref="SlackText.Mrkdwn"/>).
/// </summary>
public sealed partial class SlackResponder(IHttpClientFactory http, ILogger<SlackResponder> log) : ISlackResponder
{
    /// <summary>The named client, taken per answer (this responder is a singleton).</summary>
    public const string HttpClientName = "slack-response-url";

    public async Task RespondAsync(string responseUrl, string text, bool inChannel, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(responseUrl, UriKind.Absolute, out var url) || !(url.Host == "hooks.slack.com" || url.IsLoopback))
        {
            log.LogWarning("Refused to answer through {Url}: not a Slack response URL", responseUrl);
            return;
        }

        var body = new ResponseBody(text, inChannel ? "in_channel" : "ephemeral");
        using var response = await http.CreateClient(HttpClientName).PostAsJsonAsync(url, body, ResponderJsonContext.Default.ResponseBody, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            log.LogWarning("Slack refused the answer through response_url: HTTP {Status}", (int)response.StatusCode);
        }
    }

    internal sealed record ResponseBody(string Text, [property: JsonPropertyName("response_type")] string ResponseType);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
    [JsonSerializable(typeof(ResponseBody))]
    internal sealed partial class ResponderJsonContext : JsonSerializerContext;
}
