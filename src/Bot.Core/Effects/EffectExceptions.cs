namespace Bot.Core.Effects;

/// <summary>The effect can never succeed as asked (bad token, missing channel): it is not retried.</summary>
public sealed class PermanentEffectException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>The peer asked to be called again later (HTTP 429, Retry-After).</summary>
public sealed class RetryLaterException(string reason, TimeSpan? after) : Exception(reason)
{
    public TimeSpan? After { get; } = after;
}
