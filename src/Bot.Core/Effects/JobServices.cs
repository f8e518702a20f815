using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bot.Core.Effects;

/// <summary>Registers job kinds: each one once, with its handler, so the dispatcher can run its rows.</summary>
public static class JobServices
{
    /// <summary>Registers <typeparamref name="THandler"/> to do the jobs of kind <typeparamref name="TJob"/>.</summary>
    public static IServiceCollection AddJob<TJob, THandler>(this IServiceCollection services)
        where TJob : class, IJob<TJob>
        where THandler : class, IJobHandler<TJob>
    {
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IJobRunner>(sp => new JobRunner<TJob>(sp.GetRequiredService<THandler>()));
        return services;
    }
}

/// <summary>Runs the rows of one job kind: reads the typed job from the row, and hands it to its handler.</summary>
public interface IJobRunner
{
    /// <summary>The kind's stored name (<see cref="IJob{TSelf}.Kind"/>).</summary>
    string Kind { get; }

    /// <summary>The end of "Could not ..." (<see cref="IJob{TSelf}.Description"/>).</summary>
    string Description { get; }

    /// <summary>The typed job of a row; <see cref="PermanentEffectException"/> when the row cannot be read as one.</summary>
    IJob Read(EffectJob row);

    Task RunAsync(IJob job, EffectJob row, CancellationToken cancellationToken);
}

/// <inheritdoc cref="IJobRunner"/>
public sealed class JobRunner<TJob>(IJobHandler<TJob> handler) : IJobRunner
    where TJob : class, IJob<TJob>
{
    public string Kind => TJob.Kind;

    public string Description => TJob.Description;

    public IJob Read(EffectJob row)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(row.Payload, TJob.Json) ?? throw new PermanentEffectException($"The {TJob.Kind} job's payload is empty.");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new PermanentEffectException($"The {TJob.Kind} job's payload cannot be read: {e.Message}", e);
        }
    }

    public Task RunAsync(IJob job, EffectJob row, CancellationToken cancellationToken) => handler.HandleAsync((TJob)job, row, cancellationToken);
}

/// <summary>
/// Told of a job that failed for good, in the unit of work that marks it failed: it asks for the jobs that tell people
/// (the stage that knows where they work does: the incident's timeline and channel), so the failure and its report
/// commit together.
/// </summary>
public interface IJobFailureReporter
{
    /// <param name="job">The typed job, or null when its row could not be read.</param>
    /// <param name="message">"Could not &lt;description&gt;: &lt;reason&gt;".</param>
    void Report(IOutbox outbox, IJob? job, EffectJob row, string message);

    /// <summary>
    /// The job failed try <paramref name="attempt"/> and is tried again (<paramref name="message"/>: "Still trying to
    /// &lt;description&gt; after n tries: &lt;reason&gt;"), in the unit of work that moves it to its next try. Nothing by default.
    /// </summary>
    void ReportHeld(IOutbox outbox, IJob job, EffectJob row, int attempt, string message)
    {
    }
}
