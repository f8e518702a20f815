using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>
/// Chat digests: automatic changes to an incident (alerts joining, firing again, resolving) are told in its
/// channel as one message per <see cref="Window"/>, listing the timeline entries recorded in that window. The job
/// key names the window, so any number of changes in it enqueue one job; the job runs after the window closes.
/// This keeps a storm within Slack's one-message-per-second-per-channel rule.
/// </summary>
public static class DigestJobs
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    /// <summary>Time after the window closes before the digest is sent, so every write of the window has committed.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public static EffectJob For(long incident, DateTimeOffset now) => Windowed(EffectKinds.Digest, "digest", incident, now, Window, Settle);

    /// <summary>The summary refresh: at most one per incident per 2 s, so a burst of changes is one chat.update.</summary>
    public static EffectJob Refresh(long incident, DateTimeOffset now) =>
        Windowed(EffectKinds.RefreshSummary, "refresh", incident, now, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200));

    private static EffectJob Windowed(string kind, string name, long incident, DateTimeOffset now, TimeSpan window, TimeSpan settle)
    {
        var ms = (long)window.TotalMilliseconds;
        var from = now.ToUnixTimeMilliseconds() / ms * ms;
        var key = Incident.FormatKey(incident);
        // Their own ordering key: a job waiting for its window must not hold back the incident's other messages.
        return new EffectJob(
            $"{key}:{name}:{from}",
            kind,
            $"{key}:{name}",
            ChatPayload.For(incident, from: from, to: from + ms),
            DateTimeOffset.FromUnixTimeMilliseconds(from + ms) + settle);
    }
}
