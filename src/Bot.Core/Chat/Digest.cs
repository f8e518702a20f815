using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>
/// Tell the incident's channel what alerts did in one <see cref="Length"/> window (joined, fired again, resolved): the
/// automatic timeline entries recorded in it, as one message. This keeps a storm within Slack's
/// one-message-per-second-per-channel rule.
/// </summary>
public sealed record DigestJob(long Incident, long From, long To) : IChatJob, IDelayedJob, IJob<DigestJob>
{
    public static readonly TimeSpan Length = TimeSpan.FromSeconds(5);

    /// <summary>After the window closes, so that every write of the window has committed.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public static string Kind => "chat.digest";

    public static string Description => "post the alert digest to the incident channel";

    public static JsonTypeInfo<DigestJob> Json => ChatJsonContext.Default.DigestJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:digest:{From}";

    /// <summary>Its own: a digest waiting for its window must not hold back the incident's other messages.</summary>
    [JsonIgnore]
    public string OrderingKey => $"{Incidents.Incident.FormatKey(Incident)}:digest";

    [JsonIgnore]
    public DateTimeOffset DueAt => new Window(From, To).End + Settle;

    public static DigestJob For(long incident, DateTimeOffset now)
    {
        var window = Window.Holding(now, Length);
        return new DigestJob(incident, window.From, window.To);
    }
}

/// <summary>Posts the digest of a window: the automatic timeline entries recorded in it, at most <see cref="MaxLines"/>.</summary>
public sealed class DigestHandler(IIncidentReads reads, IChat chat) : ChatJobHandler<DigestJob>(reads)
{
    public const int MaxLines = 20;

    protected override async Task HandleAsync(DigestJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var window = new Window(job.From, job.To);
        // The summary tells the opening: what was recorded with it is left out (a window holding the opening starts after it).
        var from = window.Start > incident.CreatedAt ? window.Start : incident.CreatedAt.AddTicks(TimeSpan.TicksPerMillisecond);
        var activity = await Reads.GetSourceActivityAsync(incident.Number, from, window.End, MaxLines, cancellationToken);
        if (activity.Total == 0)
        {
            return;
        }

        var text = string.Join("\n", activity.Entries.Select(e => $"{e.At.UtcDateTime:HH:mm:ss} UTC  {e.Text}"))
            + (activity.Total > MaxLines ? $"\n... and {activity.Total - MaxLines} more updates (see the timeline)" : "");
        await chat.PostAsync(ChannelOf(incident), new ChatMessage(text), run.Key, cancellationToken);
    }
}
