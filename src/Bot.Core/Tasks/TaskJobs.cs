using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Tasks;

/// <summary>The job that files a task: one per task, keyed by it, in the incident's task order.</summary>
public static class TaskJobs
{
    public static EffectJob File(Incident incident, int task, DateTimeOffset now) =>
        new($"{incident.Key}:task:{task}", EffectKinds.FileTask, $"{incident.Key}:tasks", ChatPayload.ForTask(incident.Number, task), now);

    /// <summary>The marker that makes filing idempotent at the tracker.</summary>
    public static string Marker(Incident incident, int task) => $"{incident.Key}/task-{task}";
}
