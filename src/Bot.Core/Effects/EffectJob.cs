namespace Bot.Core.Effects;

/// <summary>
/// A job as the outbox stores it: its key, its kind's name, its ordering key and its JSON (<see cref="IJob{TSelf}"/>),
/// when it is due, and how often it was tried. Enqueueing the same key twice keeps one job. Jobs that share an
/// <see cref="OrderingKey"/> run one at a time, in the order they were enqueued.
/// </summary>
public sealed record EffectJob(
    string Key,
    string Kind,
    string OrderingKey,
    string Payload,
    DateTimeOffset DueAt)
{
    public long Id { get; init; }

    /// <summary>How many times the job has been tried before this claim.</summary>
    public int Attempts { get; init; }

    /// <summary>
    /// How many times the job has been claimed, this claim included; more than one means an earlier claim may have done
    /// its side effect (a try that failed after it, or a replica that died running it). Claims handed back unstarted
    /// do not count.
    /// </summary>
    public int Claims { get; init; } = 1;

    /// <summary>An earlier try may have done this job's side effect already.</summary>
    public bool MayHaveRunBefore => Attempts > 0 || Claims > 1;

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The trace (W3C <c>traceparent</c>) of the work that enqueued it: running it continues that trace.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The worker's lane that runs it (its kind's, or its own: <see cref="IJob{TSelf}.LaneOf"/>).</summary>
    public JobLane Lane { get; init; }

    /// <summary>
    /// The order of a claim's jobs: by lane as a pass runs them (<see cref="JobsWanted.Lanes"/>: the timers' and the pages' first),
    /// then earliest due, then first enqueued.
    /// </summary>
    public static int ClaimOrder(EffectJob a, EffectJob b) =>
        a.Lane != b.Lane ? JobsWanted.RunOrder(a.Lane).CompareTo(JobsWanted.RunOrder(b.Lane)) : a.DueAt != b.DueAt ? a.DueAt.CompareTo(b.DueAt) : a.Id.CompareTo(b.Id);

    /// <summary>The row of a job, due at <paramref name="dueAt"/>.</summary>
    public static EffectJob Of<TJob>(TJob job, DateTimeOffset dueAt)
        where TJob : class, IJob<TJob> =>
        new(job.Key, TJob.Kind, job.OrderingKey, System.Text.Json.JsonSerializer.Serialize(job, TJob.Json), dueAt) { Lane = TJob.LaneOf(job) };
}
