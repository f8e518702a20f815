using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>
/// Tell the responders that a job of their incident failed for good: on its timeline, and in its channel unless the
/// failed job was itself a post to chat. Asked for in the unit of work that marks the job failed.
/// </summary>
public sealed record JobFailedJob(long Incident, string FailedKey, string Message, bool TellChannel) : IChatJob, IJob<JobFailedJob>
{
    public static string Kind => "incident.job_failed";

    public static string Description => "record a failed job on the timeline";

    public static JsonTypeInfo<JobFailedJob> Json => ChatJsonContext.Default.JobFailedJob;

    [JsonIgnore]
    public string Key => $"{FailedKey}:failed";

    /// <summary>Its own: it must not wait behind the incident's other jobs, which may be stuck on what failed.</summary>
    [JsonIgnore]
    public string OrderingKey => Key;
}

/// <summary>
/// Asks for a <see cref="JobFailedJob"/> when a job about an incident fails for good, and once when one of its pages
/// (an SMS, call, e-mail, chat page or outgoing webhook) is still not out after <see cref="PageHeldAfterTries"/> tries:
/// its provider is failing it now, and responders in the channel can reach the person another way meanwhile.
/// </summary>
public sealed class IncidentJobFailureReporter : IJobFailureReporter
{
    /// <summary>A page failing this many tries in a row (a minute or two with the backoff and the tries' timeouts) is said.</summary>
    public const int PageHeldAfterTries = 3;

    public void Report(IOutbox outbox, IJob? job, EffectJob row, string message)
    {
        if (job is IIncidentJob incidentJob and not JobFailedJob)
        {
            outbox.Enqueue(new JobFailedJob(incidentJob.Incident, row.Key, message, TellChannel: job is not IChatJob));
        }
    }

    public void ReportHeld(IOutbox outbox, IJob job, EffectJob row, int attempt, string message)
    {
        if (attempt == PageHeldAfterTries && job is IIncidentJob incidentJob and not IChatJob
            && row.Lane is JobLane.Phone or JobLane.Email or JobLane.ChatPaging or JobLane.Webhooks)
        {
            outbox.Enqueue(new JobFailedJob(incidentJob.Incident, $"{row.Key}:held", $"{message.TrimEnd('.')}. Responders may not have been reached: reach them another way.", TellChannel: true));
        }
    }
}

public sealed class JobFailedHandler(IUnitOfWork<IChatSession> store) : IJobHandler<JobFailedJob>
{
    public Task HandleAsync(JobFailedJob job, EffectJob run, CancellationToken cancellationToken) =>
        store.WriteAsync(
            s =>
            {
                if (s.GetIncident(job.Incident) is not { } incident)
                {
                    return false;
                }

                s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.EffectFailed, Actor.Bot, job.Message));
                if (job.TellChannel && incident.ChannelId is not null)
                {
                    s.Enqueue(new PostTextJob(incident.Number, $":warning: {job.Message}", false, $"{job.FailedKey}:failed:post"));
                }

                return true;
            },
            cancellationToken);
}
