using Bot.Core.Ports;

namespace Bot.Core.Effects;

/// <summary>What a unit of work may do with the outbox: ask for jobs, and move a waiting one.</summary>
public interface IOutbox : ISession
{
    /// <summary>
    /// Adds a job row to the outbox, unless a job with its key exists (then nothing changes: asking again is safe). A
    /// store may write it with the unit's other writes, at its end. Producers call <see cref="OutboxExtensions.Enqueue{TJob}"/>.
    /// </summary>
    void Enqueue(EffectJob job);

    /// <summary>Moves a job that is still waiting to <paramref name="dueAt"/>; false when there is no such waiting job.</summary>
    bool RescheduleJob(string key, DateTimeOffset dueAt);
}

/// <summary>The dispatcher's unit of work: claim due jobs and record how they went.</summary>
public interface IOutboxSession : IOutbox
{
    /// <summary>
    /// Claims due jobs, up to <paramref name="wanted"/>'s number in each lane (<see cref="JobLane"/>): in each, earliest due
    /// first (then in the order they were enqueued), at most one per ordering key; a job whose claim's lease ended is due
    /// again. The timers' and the pages' come first in the list (<see cref="JobsWanted.Lanes"/>).
    /// </summary>
    IReadOnlyList<EffectJob> ClaimDueJobs(JobsWanted wanted, TimeSpan lease);

    /// <summary>
    /// The claimed job is done. This and the three below change the job only while <paramref name="claimed"/> (the job as
    /// its claim returned it: its id and claim count) still holds it: once its lease ended and another run claimed the
    /// job again, nothing changes, and that run's outcome stands (a stale run's retry could otherwise make a job another
    /// replica completed due again, and run it a third time).
    /// </summary>
    void CompleteJob(EffectJob claimed);

    /// <summary>Hands back a claimed job that was not started (shutting down): it may be claimed again at once, by any replica.</summary>
    void ReleaseJob(EffectJob claimed);

    /// <summary>
    /// The claimed job failed for now: it waits again, due at <paramref name="dueAt"/>; when it first fell due is kept
    /// (<see cref="Incidents.StoreStats.OldestUndoneByLane"/>).
    /// </summary>
    void RetryJob(EffectJob claimed, DateTimeOffset dueAt, string error);

    /// <summary>The claimed job failed for good; false when the claim no longer held it (nothing changed).</summary>
    bool FailJob(EffectJob claimed, string error);

    /// <summary>
    /// Deletes up to <paramref name="max"/> done jobs completed before <paramref name="before"/>, but none done in the last
    /// <see cref="OutboxOptions.KeepDoneAtLeast"/> (so that a store may trust for minutes that a key it inserted is still
    /// held); returns how many.
    /// </summary>
    int DeleteDoneJobs(DateTimeOffset before, int max);
}

/// <summary>What the outbox worker watches: when the next job falls due, and commits that added jobs.</summary>
public interface IOutboxSignals
{
    /// <summary>
    /// When the earliest outbox job that could be claimed falls due (past when it already has), of <paramref name="lanes"/>
    /// (null: of any); null when none waits.
    /// </summary>
    Task<DateTimeOffset?> NextDueAtAsync(IReadOnlyCollection<JobLane>? lanes = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether a job enqueued after <paramref name="job"/> with its ordering key waits, already due: it runs next, so a
    /// job that only brings something up to date (a summary's refresh) may leave that to it. Read around the writer.
    /// </summary>
    Task<bool> LaterJobIsDueAsync(EffectJob job, CancellationToken cancellationToken = default);

    /// <summary>Raised after a commit that added outbox jobs.</summary>
    event Action? JobsEnqueued;
}

/// <summary>How many due jobs a claim takes of each lane (<see cref="JobLane"/>): the worker asks for what fits its free slots.</summary>
public readonly struct JobsWanted
{
    private static readonly JobLane[] InRunOrder = [JobLane.Timers, JobLane.Phone, JobLane.Email, JobLane.Webhooks, JobLane.ChatPaging, JobLane.Default, JobLane.Summaries];

    /// <summary>Each lane's count, by the lane's number (null: none of any).</summary>
    private readonly int[]? _byNumber;

    /// <summary>
    /// <paramref name="byNumber"/>: each lane's count in the order of the lanes' numbers (<see cref="JobLane.Default"/>,
    /// <see cref="JobLane.Phone"/>, <see cref="JobLane.ChatPaging"/>, ...); none of the lanes after them.
    /// </summary>
    public JobsWanted(params ReadOnlySpan<int> byNumber)
    {
        if (byNumber.Length > InRunOrder.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(byNumber), $"There are {InRunOrder.Length} lanes.");
        }

        _byNumber = new int[InRunOrder.Length];
        byNumber.CopyTo(_byNumber);
    }

    /// <summary>Every lane, in the order a pass runs them (<see cref="OutboxDispatcher.RunOnceAsync"/>): the bot's timers, then the pages.</summary>
    public static IReadOnlyList<JobLane> Lanes => InRunOrder;

    /// <summary>A lane's place in <see cref="Lanes"/>.</summary>
    public static int RunOrder(JobLane lane) => Array.IndexOf(InRunOrder, lane);

    /// <summary>Each lane's count as <paramref name="of"/> gives it.</summary>
    public static JobsWanted From(Func<JobLane, int> of)
    {
        Span<int> byNumber = stackalloc int[InRunOrder.Length];
        foreach (var lane in InRunOrder)
        {
            byNumber[(int)lane] = of(lane);
        }

        return new JobsWanted(byNumber);
    }

    /// <summary>Up to <paramref name="max"/> of each lane.</summary>
    public static JobsWanted Each(int max) => From(_ => max);

    public int Of(JobLane lane) => _byNumber?[(int)lane] ?? 0;

    /// <summary>Each lane's count by the lane's number, as PostgreSQL's claim takes them.</summary>
    public int[] ByNumber() => _byNumber is null ? new int[InRunOrder.Length] : (int[])_byNumber.Clone();
}

public static class OutboxExtensions
{
    /// <summary>
    /// Asks for a job, due when it says (<see cref="IDelayedJob.DueAt"/>) or now (the unit's time); nothing changes when
    /// one with its key exists.
    /// </summary>
    public static void Enqueue<TJob>(this IOutbox outbox, TJob job)
        where TJob : class, IJob<TJob> =>
        outbox.Enqueue(EffectJob.Of(job, job is IDelayedJob delayed ? delayed.DueAt : outbox.Now));
}
