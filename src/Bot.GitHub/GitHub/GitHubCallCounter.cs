using System.Net;
using System.Text.RegularExpressions;
using Bot.Core.Telemetry;

namespace Bot.GitHub.GitHub;

/// <summary>
/// Counts each request to GitHub by method (the verb and the route, ids and names taken out: <c>POST /repos/{repo}/issues</c>)
/// and outcome (ok, rate_limited, error), and the waits GitHub's rate limits ask for.
/// </summary>
internal sealed partial class GitHubCallCounter(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = Route(request);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException)
        {
            Count(method, "error");
            throw;
        }

        var limited = response.StatusCode == HttpStatusCode.TooManyRequests
            || (response.StatusCode == HttpStatusCode.Forbidden && response.Headers.TryGetValues("x-ratelimit-remaining", out var left) && left.FirstOrDefault() == "0");
        Count(method, limited ? "rate_limited" : response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound ? "ok" : "error");
        if (limited)
        {
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMinutes(1);
            BotTelemetry.RateLimitWaits.Record(wait.TotalSeconds, BotTelemetry.Tag("service", "github"), BotTelemetry.Tag("method", method));
        }

        return response;
    }

    /// <summary>The request's route with what varies taken out, a label of few values.</summary>
    internal static string Route(HttpRequestMessage request)
    {
        var path = request.RequestUri?.AbsolutePath ?? "/";
        path = Repository().Replace(path, "/repos/{repo}");
        path = RefOrContent().Replace(path, m => $"/{m.Groups[1].Value}/{{{(m.Groups[1].Value == "contents" ? "path" : "ref")}}}");
        path = Number().Replace(path, "/{n}");
        return $"{request.Method.Method} {path}";
    }

    private static void Count(string method, string outcome) =>
        BotTelemetry.Calls.Add(1, BotTelemetry.Tag("service", "github"), BotTelemetry.Tag("method", method), BotTelemetry.Tag("outcome", outcome));

    [GeneratedRegex("/repos/[^/]+/[^/]+")]
    private static partial Regex Repository();

    [GeneratedRegex("/(contents|git/refs|git/ref|branches)/.+$")]
    private static partial Regex RefOrContent();

    [GeneratedRegex("/[0-9]+(?=/|$)")]
    private static partial Regex Number();
}
