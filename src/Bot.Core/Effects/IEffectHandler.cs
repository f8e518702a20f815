namespace Bot.Core.Effects;

/// <summary>
/// Carries out one kind of outbox job. Throw <see cref="PermanentEffectException"/> for failures that will not
/// heal; any other exception retries the job later. Must be safe to run again with the same job.
/// </summary>
public interface IEffectHandler
{
    string Kind { get; }

    Task HandleAsync(EffectJob job, CancellationToken cancellationToken);
}
