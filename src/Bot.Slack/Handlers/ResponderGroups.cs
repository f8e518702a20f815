using System.Collections.Concurrent;
using Bot.Core.Commands;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Handlers;

/// <summary>
/// Which of the user groups the command permissions name (<see cref="CommandPermissions.Groups"/>: Slack ids starting with S
/// in <c>Incidents:Responders</c> and <c>Incidents:Permissions</c>) a user is in,
/// from <c>usergroups.users.list</c>, kept for five minutes. Without a bot token, or if Slack cannot answer, none.
/// </summary>
public sealed class ResponderGroups(CommandPermissions permissions, IOptions<SlackOptions> slack, ISlackApiClient api, TimeProvider time, ILogger<ResponderGroups> log)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<string> Members)> _cache = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> GroupsOfAsync(string userId, CancellationToken cancellationToken = default)
    {
        var groups = permissions.Groups.ToList();
        if (groups.Count == 0 || !slack.Value.Enabled)
        {
            return [];
        }

        var mine = new List<string>();
        foreach (var group in groups)
        {
            if (!_cache.TryGetValue(group, out var entry) || time.GetUtcNow() - entry.At > Keep)
            {
                try
                {
                    entry = (time.GetUtcNow(), await api.UserGroupUsers.List(group, cancellationToken));
                    _cache[group] = entry;
                }
                catch (Exception e) when (e is SlackApiException or HttpRequestException)
                {
                    log.LogWarning("Could not read the members of responder group {Group}: {Reason}", group, e.Message);
                    continue;
                }
            }

            if (entry.Members.Contains(userId))
            {
                mine.Add(group);
            }
        }

        return mine;
    }
}
