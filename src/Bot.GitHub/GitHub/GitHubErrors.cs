using System.Globalization;
using Bot.Core.Effects;
using Octokit;

namespace Bot.GitHub.GitHub;

/// <summary>
/// Turns Octokit's exceptions into the outbox's terms: rate limits come back after GitHub's <c>Retry-After</c> or
/// <c>x-ratelimit-reset</c>; a refused token, a missing repository or a rejected request fail for good with a
/// message naming the setting; 5xx, timeouts and dropped connections are retried with backoff.
/// </summary>
internal static class GitHubErrors
{
    public static async Task<T> Call<T>(GitHubOptions options, TimeProvider time, string doing, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException e)
        {
            throw Map(e, options, time, doing);
        }
    }

    public static Exception Map(ApiException e, GitHubOptions options, TimeProvider time, string doing)
    {
        var status = (int)e.StatusCode;
        var said = string.IsNullOrWhiteSpace(e.Message) ? $"HTTP {status}" : e.Message;
        if (RetryAfter(e, time) is { } wait)
        {
            return new RetryLaterException($"GitHub rate-limited the request to {doing} ({said})", wait);
        }

        return e switch
        {
            AuthorizationException => new PermanentEffectException($"GitHub refused the token while trying to {doing} (GitHub:Token): {said}", e),
            NotFoundException => new PermanentEffectException(
                $"GitHub answered 404 while trying to {doing}: the repository {options.Repository} does not exist or the token cannot see it (GitHub:Repository, GitHub:Token).", e),
            ApiValidationException v => new PermanentEffectException(
                $"GitHub rejected the request to {doing}: {said}{string.Concat(v.ApiError?.Errors?.Select(x => $"; {x.Field} {x.Code} {x.Message}") ?? [])}", e),
            ForbiddenException => new PermanentEffectException($"GitHub refused to {doing} (403): {said}. Does the token have write access to {options.Repository}?", e),
            _ when status >= 500 || status == 0 => new IOException($"GitHub failed to {doing} (HTTP {status}): {said}", e),
            _ when status == 429 => new RetryLaterException($"GitHub rate-limited the request to {doing}", TimeSpan.FromMinutes(1)),
            _ => new PermanentEffectException($"GitHub refused to {doing} (HTTP {status}): {said}", e),
        };
    }

    /// <summary>A primary or secondary rate limit: how long GitHub asks to wait, or null when it is not one.</summary>
    private static TimeSpan? RetryAfter(ApiException e, TimeProvider time)
    {
        var headers = e.HttpResponse?.Headers;
        string? Header(string name) => headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        if (Header("Retry-After") is { } after && int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Max(1, seconds));
        }

        var limited = e is RateLimitExceededException || (int)e.StatusCode == 429 || Header("x-ratelimit-remaining") == "0";
        if (limited && Header("x-ratelimit-reset") is { } reset && long.TryParse(reset, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            var wait = DateTimeOffset.FromUnixTimeSeconds(epoch) - time.GetUtcNow();
            return wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1);
        }

        return e is RateLimitExceededException or SecondaryRateLimitExceededException || (int)e.StatusCode == 429 ? TimeSpan.FromMinutes(1) : null;
    }
}
