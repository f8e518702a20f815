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

    public static EffectJob For(long incident, DateTimeOffset now)
    {
        var from = now.ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds * (long)Window.TotalMilliseconds;
        var to = from + (long)Window.TotalMilliseconds;
        var key = Incident.FormatKey(incident);
        return new EffectJob(
            $"{key}:digest:{from}",
            EffectKinds.Digest,
            key,
            ChatPayload.For(incident, from: from, to: to),
            DateTimeOffset.FromUnixTimeMilliseconds(to) + Settle);
    }
}
