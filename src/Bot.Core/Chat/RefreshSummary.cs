using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>
/// Bring the pinned summary and the channel topic up to date: at most one per incident per <see cref="Length"/>, so a
/// burst of changes is one <c>chat.update</c>.
/// </summary>
public sealed record RefreshSummaryJob(long Incident, long From, long To) : IChatJob, IDelayedJob, IJob<RefreshSummaryJob>
{
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(2);

    /// <summary>After the window closes, so that every write of the window has committed.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    public static string Kind => "chat.refresh_summary";

    public static string Description => "update the pinned summary";

    /// <summary>Apart from the channels and messages: while incidents storm, their refreshes wait for the chat's budget of updates.</summary>
    public static JobLane Lane => JobLane.Summaries;

    public static JsonTypeInfo<RefreshSummaryJob> Json => ChatJsonContext.Default.RefreshSummaryJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:refresh:{From}";

    /// <summary>Its own: a refresh waiting for its window must not hold back the incident's other messages.</summary>
    [JsonIgnore]
    public string OrderingKey => $"{Incidents.Incident.FormatKey(Incident)}:refresh";

    [JsonIgnore]
    public DateTimeOffset DueAt => new Window(From, To).End + Settle;

    public static RefreshSummaryJob For(long incident, DateTimeOffset now)
    {
        var window = Window.Holding(now, Length);
        return new RefreshSummaryJob(incident, window.From, window.To);
    }
}

/// <summary>
/// Updates the pinned summary in place with the incident as it is now, and the channel's topic when it changed (its
/// severity, status, progress, lead or title): a storm's refreshes, every <see cref="RefreshSummaryJob.Length"/>, change
/// the summary's counts, not the topic, and the chat allows few topic changes a minute (Slack: about 20). A refresh
/// whose later window's refresh is already due does nothing: when the chat rate-limits the updates (Slack: about 50 a
/// minute, so two storming incidents), the refreshes left behind are not all sent, one after another, ahead of the
/// latest (an acknowledgement's among them).
/// </summary>
public sealed class RefreshSummaryHandler(IIncidentReads reads, IOutboxSignals outbox, IChat chat, IUnitOfWork<IChatSession> store) : ChatJobHandler<RefreshSummaryJob>(reads)
{
    protected override async Task HandleAsync(RefreshSummaryJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        if (incident.ChannelId is null || incident.SummaryMessageId is null)
        {
            return; // the summary is not posted yet; when it is, it shows the current state
        }

        if (await outbox.LaterJobIsDueAsync(run, cancellationToken))
        {
            return; // late (the chat rate-limited the refreshes): the later window's, due too, shows the same and more
        }

        await chat.UpdateAsync(new ChatMessageRef(incident.ChannelId, incident.SummaryMessageId), await SummaryAsync(incident, cancellationToken), cancellationToken);
        var topic = IncidentMessages.Topic(incident);
        if (await Reads.GetChannelTopicAsync(incident.Number, cancellationToken) != topic)
        {
            await chat.SetTopicAsync(incident.ChannelId, topic, cancellationToken);
            await store.WriteAsync(s => s.SaveChannelTopic(incident.Number, topic), cancellationToken);
        }
    }
}
