using System.Collections.Concurrent;
using Bot.Core.Incidents;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Handlers;

/// <summary>
/// Who a Slack user is, for the timeline: their id and display name (from <c>users.info</c>, kept for an hour). Slack
/// requests carry only the legacy user name; without a bot token, or if Slack cannot answer, that is used.
/// </summary>
public sealed class SlackPeople(IOptions<SlackOptions> options, ISlackApiClient api, TimeProvider time)
{
    private static readonly TimeSpan Keep = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string Name)> _names = new(StringComparer.Ordinal);

    public async Task<Actor> ActorAsync(string userId, string? userName, CancellationToken cancellationToken = default)
    {
        var fallback = string.IsNullOrEmpty(userName) ? userId : userName;
        if (!options.Value.Enabled)
        {
            return new Actor(userId, fallback);
        }

        if (_names.TryGetValue(userId, out var known) && time.GetUtcNow() - known.At < Keep)
        {
            return new Actor(userId, known.Name);
        }

        try
        {
            var name = (await api.Users.Info(userId, cancellationToken)).Display;
            _names[userId] = (time.GetUtcNow(), string.IsNullOrEmpty(name) ? fallback : name);
            return new Actor(userId, _names[userId].Name);
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            return new Actor(userId, fallback);
        }
    }
}
