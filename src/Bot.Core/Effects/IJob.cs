using System.Text.Json.Serialization.Metadata;

namespace Bot.Core.Effects;

/// <summary>
/// A durable side effect, as its producer asks for it: a typed record beside its handler (<see cref="IJobHandler{TJob}"/>),
/// registered once (<see cref="JobServices.AddJob{TJob, THandler}"/>). The outbox stores it as a row
/// (<see cref="EffectJob"/>) in the same transaction as the change that asked for it, and runs it later, once.
/// </summary>
public interface IJob
{
    /// <summary>The idempotency key: asking again for a job whose key the outbox holds is a no-op.</summary>
    string Key { get; }

    /// <summary>Jobs that share it run one at a time, in the order they were asked for (an incident's messages keep their order).</summary>
    string OrderingKey { get; }
}

/// <summary>A job that waits: it falls due at <see cref="DueAt"/> (a timer, a window that must close first).</summary>
public interface IDelayedJob : IJob
{
    DateTimeOffset DueAt { get; }
}

/// <summary>A kind of job: its stored name, how a failure reads, and its JSON form.</summary>
public interface IJob<TSelf> : IJob
    where TSelf : class, IJob<TSelf>
{
    /// <summary>The name the outbox stores with each row of this kind. Never change it: rows waiting in a database carry it.</summary>
    static abstract string Kind { get; }

    /// <summary>What the job does, as the end of "Could not ...": <c>post the incident summary</c>.</summary>
    static abstract string Description { get; }

    /// <summary>The job's JSON form (source-generated), as the outbox stores it.</summary>
    static abstract JsonTypeInfo<TSelf> Json { get; }

    /// <summary>
    /// Which of the worker's lanes runs the kind (<see cref="JobLane"/>): one for each provider that pages people
    /// (<see cref="JobLane.Phone"/>, <see cref="JobLane.Email"/>, <see cref="JobLane.Webhooks"/>,
    /// <see cref="JobLane.ChatPaging"/>), which then never wait behind messages and issues nor behind each other,
    /// <see cref="JobLane.Timers"/> for the bot's own timers, <see cref="JobLane.Summaries"/> for what waits for the chat's
    /// budget of updates. Stored with each row as it is enqueued.
    /// </summary>
    static virtual JobLane Lane => JobLane.Default;

    /// <summary>
    /// The lane of one job of the kind: its kind's (<see cref="Lane"/>), unless the kind's jobs reach different providers
    /// (a notification's channel says whether an SMS or an e-mail goes out).
    /// </summary>
    static virtual JobLane LaneOf(TSelf job) => TSelf.Lane;
}

/// <summary>
/// The outbox worker's lanes: each claims its own due jobs and runs them in slots of its own
/// (<see cref="OutboxOptions.SlotsOf"/>), so a backlog in one (a storm's channel messages, a slow or failing chat
/// service, an SMS provider that hangs) never holds back another. Numbered from 0 without a gap: the number is stored
/// with each row, and the claim takes a count for each.
/// </summary>
public enum JobLane
{
    /// <summary>Channels, messages, summaries, digests, invitations, postmortems, issues, hand-offs.</summary>
    Default = 0,

    /// <summary>What pages people by phone (SMS, voice calls: the phone provider), and a notification of any other channel.</summary>
    Phone = 1,

    /// <summary>
    /// The pages the chat service delivers (direct messages, user groups' mentions): apart from the other pages, so that a
    /// chat service that hangs holds only these slots, each until its try times out, while the SMS and calls go out.
    /// </summary>
    ChatPaging = 2,

    /// <summary>
    /// The bot's own timers, which call nothing outside its store: escalation steps, heartbeat checks. Apart from the pages,
    /// so that no provider that hangs (chat, SMS, mail, a webhook's endpoint) holds back the next step of an escalation.
    /// </summary>
    Timers = 3,

    /// <summary>The pages sent by e-mail (the mail server): apart from the phone's, so a slow SMS provider holds back no e-mail, the usual fallback.</summary>
    Email = 4,

    /// <summary>Outgoing webhooks (each escalation's own endpoint, which may answer slowly or hang): apart from the pages of people.</summary>
    Webhooks = 5,

    /// <summary>
    /// The pinned summaries' refreshes: the chat allows few message updates a minute (Slack: about 50 for the workspace),
    /// so while several incidents storm their refreshes wait for the chat's budget, in slots of their own, never in those
    /// of a new incident's channel and messages.
    /// </summary>
    Summaries = 6,
}

public static class JobLanes
{
    /// <summary>A lane's name where people read it (the metrics' <c>lane</c>): <c>default</c>, <c>phone</c>, <c>chat_paging</c>...</summary>
    public static string Name(this JobLane lane) => Names.TryGetValue(lane, out var name) ? name : NameOf(lane); // a newer version's lane (a rolling upgrade's): its number

    private static string NameOf(JobLane lane) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(lane.ToString());

    /// <summary>The lane whose <see cref="Name"/> is <paramref name="name"/> (case ignored), as settings name it; null for none.</summary>
    public static JobLane? Named(string name)
    {
        foreach (var (lane, known) in Names)
        {
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
            {
                return lane;
            }
        }

        return null;
    }

    /// <summary>Each lane's name, made once (the dispatcher asks for a lane's slots at each pass).</summary>
    private static readonly Dictionary<JobLane, string> Names =
        Enum.GetValues<JobLane>().ToDictionary(lane => lane, NameOf);
}

/// <summary>
/// Does one kind of job. Throw <see cref="PermanentEffectException"/> for failures that will not heal; any other
/// exception retries the job later. Must be safe to run again with the same job: <paramref name="run"/> says whether an
/// earlier try may have acted (<see cref="EffectJob.MayHaveRunBefore"/>), and its key is the job's idempotency key.
/// </summary>
public interface IJobHandler<in TJob>
    where TJob : class, IJob<TJob>
{
    Task HandleAsync(TJob job, EffectJob run, CancellationToken cancellationToken);
}
