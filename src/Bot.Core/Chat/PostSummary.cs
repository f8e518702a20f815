using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>Post and pin the incident's summary in its channel.</summary>
public sealed record PostSummaryJob(long Incident) : IChatJob, IJob<PostSummaryJob>
{
    public static string Kind => "chat.post_summary";

    public static string Description => "post the incident summary";

    public static JsonTypeInfo<PostSummaryJob> Json => ChatJsonContext.Default.PostSummaryJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:{Kind}";

    [JsonIgnore]
    public string OrderingKey => Incidents.Incident.FormatKey(Incident);
}

/// <summary>Posts (and pins) the incident summary; a change made while it was on its way is shown by a refresh.</summary>
public sealed class PostSummaryHandler(IIncidentReads reads, IUnitOfWork<IChatSession> store, IChat chat) : ChatJobHandler<PostSummaryJob>(reads)
{
    protected override async Task HandleAsync(PostSummaryJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var posted = await chat.PostAsync(ChannelOf(incident), await SummaryAsync(incident, cancellationToken), run.Key, cancellationToken);
        await store.WriteAsync(
            s =>
            {
                var current = s.GetIncident(incident.Number)!;
                if (current.UpdatedAt > incident.UpdatedAt)
                {
                    s.Enqueue(RefreshSummaryJob.For(current.Number, s.Now));
                }

                current.AttachSummary(posted.MessageId, s.Now);
                s.UpdateIncident(current);
                return 0;
            },
            cancellationToken);
    }
}
