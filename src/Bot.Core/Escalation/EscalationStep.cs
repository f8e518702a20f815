using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Ports;

namespace Bot.Core.Escalation;

/// <summary>
/// An escalation's timer: fire step <see cref="Step"/> of round <see cref="Cycle"/> of run <see cref="Run"/> of a policy
/// on an incident, at <see cref="Due"/> (Unix ms). Keyed by all of them, so a retried job never pages twice; its own
/// ordering key, so a waiting timer blocks nothing.
/// </summary>
public sealed record EscalationStepJob(long Incident, string Policy, int Run, int Cycle, int Step, long Due) : IIncidentJob, IDelayedJob, IJob<EscalationStepJob>
{
    public static string Kind => "escalation.step";

    public static string Description => "run the escalation step";

    public static JobLane Lane => JobLane.Timers;

    public static JsonTypeInfo<EscalationStepJob> Json => EscalationJsonContext.Default.EscalationStepJob;

    [JsonIgnore]
    public string Key => Escalator.StepKey(Incident, Policy, Run, Cycle, Step);

    [JsonIgnore]
    public string OrderingKey => Key;

    [JsonIgnore]
    public DateTimeOffset DueAt => DateTimeOffset.FromUnixTimeMilliseconds(Due);
}

/// <summary>Runs a due escalation step in one unit of work.</summary>
public sealed class EscalationStepHandler(IUnitOfWork<IEscalationSession> store, Escalator escalator) : IJobHandler<EscalationStepJob>
{
    public Task HandleAsync(EscalationStepJob job, EffectJob run, CancellationToken cancellationToken) =>
        store.WriteAsync(s => { escalator.RunStep(s, job); return true; }, cancellationToken);
}
