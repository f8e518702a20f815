namespace Bot.Core.Effects;

/// <summary>
/// The outbox job whose handler is running on this call path. An adapter whose service takes no idempotency key (Slack)
/// reads <see cref="MayHaveRunBefore"/> to look for the earlier try's result before acting again, and only then, so a
/// first try costs nothing extra. The dispatcher sets it for each job; tests set it to act as a retry.
/// </summary>
public static class EffectContext
{
    private static readonly AsyncLocal<EffectJob?> Current = new();

    public static EffectJob? Job => Current.Value;

    /// <summary>An earlier try of the running job may have done its side effect already.</summary>
    public static bool MayHaveRunBefore => Current.Value?.MayHaveRunBefore == true;

    /// <summary>Makes <paramref name="job"/> the running job for this call path and what it calls.</summary>
    public static void Enter(EffectJob job) => Current.Value = job;
}
