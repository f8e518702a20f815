using Bot.Core.Effects;

namespace Bot.TestKit;

public static class OutboxSessionExtensions
{
    /// <summary>Claims up to <paramref name="max"/> due jobs of each lane (see <see cref="IOutboxSession.ClaimDueJobs(JobsWanted, TimeSpan)"/>).</summary>
    public static IReadOnlyList<EffectJob> ClaimDueJobs(this IOutboxSession session, int max, TimeSpan lease) =>
        session.ClaimDueJobs(JobsWanted.Each(max), lease);
}
