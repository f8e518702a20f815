using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Bot.Slack.WebApi;

/// <summary>
/// Slack's per-method rate tiers (calls per minute per workspace), applied before calling so that we rarely meet a
/// 429. chat.postMessage is special: one message per second per channel (<see cref="ChannelPacer"/>). A method's
/// budget is a minute's calls at once (Slack allows bursts), then refilled a call at a time, evenly over the minute: a
/// caller past the budget waits for the next call's share (1.2 s for chat.update's 50), never for the minute's end.
/// </summary>
/// <param name="replicas">How many replicas share the workspace's tiers (<see cref="SlackOptions.Replicas"/>): this one keeps to its share.</param>
public sealed class SlackMethodTiers(int replicas = 1) : IDisposable
{
    private static readonly Dictionary<string, int> PerMinute = new(StringComparer.Ordinal)
    {
        ["conversations.create"] = 20,
        ["conversations.invite"] = 50,
        ["conversations.setTopic"] = 50,
        ["conversations.setPurpose"] = 50,
        ["conversations.join"] = 50,
        ["conversations.info"] = 100,
        ["conversations.history"] = 50,
        ["conversations.open"] = 50,
        ["conversations.list"] = 20,
        ["auth.test"] = 100,
        ["pins.add"] = 50,
        ["users.info"] = 100,
        ["users.lookupByEmail"] = 100,
        ["usergroups.users.list"] = 50,
        ["usergroups.users.update"] = 20,
        ["views.open"] = 100,
        ["views.publish"] = 100,
        ["chat.update"] = 50,
        ["chat.postEphemeral"] = 100,
    };

    private readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>Until when Slack asked a tiered method's callers to wait (its last 429's Retry-After).</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pausedUntil = new(StringComparer.Ordinal);

    public static int? LimitOf(string method) => PerMinute.TryGetValue(method, out var n) ? n : null;

    /// <summary>This replica's calls a minute of <paramref name="method"/>: its share of the tier (at least one), or null for a method without one.</summary>
    public int? BudgetOf(string method) => LimitOf(method) is { } perMinute ? Math.Max(1, perMinute / replicas) : null;

    /// <summary>Waits for a slot of the method's tier (no wait for methods without a tier).</summary>
    public async ValueTask WaitAsync(string method, CancellationToken cancellationToken)
    {
        if (BudgetOf(method) is not { } perMinute)
        {
            return;
        }

        var limiter = _limiters.GetOrAdd(method, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 10_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        }));
        using var lease = await limiter.AcquireAsync(1, cancellationToken);
    }

    /// <summary>
    /// Slack answered 429 to a call of <paramref name="method"/>: a tier is the workspace's (every replica's calls and
    /// every channel's), so no call of the method is made until <paramref name="until"/>, not only that one's retry;
    /// Slack may disable an app that goes on calling after a 429. Methods without a tier (chat.postMessage, paced by
    /// channel) are not held.
    /// </summary>
    public void PauseUntil(string method, DateTimeOffset until)
    {
        if (LimitOf(method) is not null)
        {
            _pausedUntil.AddOrUpdate(method, until, (_, before) => before > until ? before : until);
        }
    }

    /// <summary>How long a call of <paramref name="method"/> must still wait at <paramref name="now"/> for its last 429's Retry-After (zero: none).</summary>
    public TimeSpan PausedFor(string method, DateTimeOffset now) =>
        _pausedUntil.TryGetValue(method, out var until) && until > now ? until - now : TimeSpan.Zero;

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }
}
