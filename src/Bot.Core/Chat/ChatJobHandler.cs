using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>The shared steps of the jobs about an incident: read it (it must exist), and find its channel.</summary>
public abstract class ChatJobHandler<TJob>(IIncidentReads reads) : IJobHandler<TJob>
    where TJob : class, IIncidentJob, IJob<TJob>
{
    protected IIncidentReads Reads => reads;

    public async Task HandleAsync(TJob job, EffectJob run, CancellationToken cancellationToken)
    {
        var incident = await reads.GetIncidentAsync(job.Incident, cancellationToken)
            ?? throw new PermanentEffectException($"{Incident.FormatKey(job.Incident)} does not exist.");
        await HandleAsync(job, incident, run, cancellationToken);
    }

    protected abstract Task HandleAsync(TJob job, Incident incident, EffectJob run, CancellationToken cancellationToken);

    /// <summary>
    /// The incident's channel. Jobs with their own ordering key can run before the channel exists: they come back
    /// later, and give up (reported on the timeline) only if the channel never comes.
    /// </summary>
    protected static string ChannelOf(Incident incident) =>
        incident.ChannelId ?? throw new RetryLaterException($"{incident.Key} has no chat channel yet.", TimeSpan.FromSeconds(30));

    /// <summary>The pinned summary as the incident stands: its tally, and its first alerts read (never all of a storm's).</summary>
    protected async Task<ChatMessage> SummaryAsync(Incident incident, CancellationToken cancellationToken) =>
        IncidentMessages.Summary(incident, await reads.ListAlertsAsync(incident.Number, new AlertQuery(IncidentMessages.MaxAlertsShown), cancellationToken));
}
