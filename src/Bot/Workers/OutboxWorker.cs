using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Workers;

/// <summary>
/// Runs the outbox in lanes (<see cref="JobLane"/>): keeps up to <see cref="OutboxOptions.Concurrency"/> jobs of the
/// default lane and <see cref="OutboxOptions.PagingConcurrency"/> of each other lane running, each started as a slot of
/// its lane frees up from the jobs claimed in batches of <see cref="OutboxOptions.BatchSize"/> (a lane's batch claimed
/// when fewer of its jobs are waiting than it has slots: when a commit adds jobs, one falls due, a running one ends, or
/// every <see cref="OutboxOptions.PollInterval"/>; every lane's in one claim). A slow job holds back no other, as a pass
/// that waited for all its jobs did, and a backlog in one lane (a storm's channels, a chat service or an SMS provider that
/// hangs) never holds back another's: each lane's slots and claims are its own. Store outages and failed claims are waited out, never fatal.
/// </summary>
internal sealed class OutboxWorker(OutboxDispatcher dispatcher, IOutboxSignals store, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxWorker> log)
    : BackgroundService
{
    /// <summary>How often done jobs older than <see cref="OutboxOptions.KeepDone"/> are deleted; the first time, a minute after start.</summary>
    private static readonly TimeSpan CleanUpEvery = TimeSpan.FromHours(1);

    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _nextCleanUp;

    /// <summary>
    /// Until the next pass when idle: the poll interval, or less when a waiting job (an escalation step, a retry) of a
    /// lane that wants more falls due sooner, so timers fire on time rather than on the next poll. Only such a lane's: the
    /// other's backlog, due already while its slots are full, would wake the worker at once to claim nothing, again and again.
    /// </summary>
    private async Task<TimeSpan> IdleWaitAsync(Lanes lanes, CancellationToken stoppingToken)
    {
        var poll = options.Value.PollInterval;
        try
        {
            var until = await store.NextDueAtAsync(lanes.Wanting, stoppingToken) - time.GetUtcNow();
            return until is { } soon && soon < poll ? (soon > TimeSpan.Zero ? soon : TimeSpan.Zero) : poll;
        }
        catch (StoreUnavailableException)
        {
            return poll;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.JobsEnqueued += Pulse;
        var lanes = new Lanes(options.Value);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CleanUpWhenDueAsync(stoppingToken);
                foreach (var lane in lanes.All)
                {
                    lane.Running.RemoveAll(job => job.IsCompleted);
                }

                var pulse = Volatile.Read(ref _pulse);
                var more = false;
                if (lanes.WantMore) // too few waiting in a lane to fill its slots as they free: claim a batch
                {
                    var wanted = lanes.Wanted;
                    try
                    {
                        var jobs = await dispatcher.ClaimDueAsync(wanted, stoppingToken);
                        var at = time.GetUtcNow();
                        foreach (var job in jobs)
                        {
                            lanes.Of(job.Lane).Claimed.Enqueue((job, at));
                        }

                        // a lane's full claim: more may be due
                        more = lanes.All.Any(l => wanted.Of(l.Name) > 0 && jobs.Count(j => j.Lane == l.Name) == wanted.Of(l.Name));
                    }
                    catch (StoreUnavailableException e)
                    {
                        log.LogWarning("Outbox claim skipped: {Reason}", e.Message);
                    }
                    catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                    {
                        // A bug, or a timeout of its own, must not stop the bot: the jobs stay in the outbox and the next claim tries again.
                        log.LogError(e, "Outbox claim failed");
                    }
                }

                foreach (var lane in lanes.All)
                {
                    await StartWhatFitsAsync(lane);
                }

                if (more && lanes.WantMore)
                {
                    continue;
                }

                // Until something may be started or claimed: a running job ending (a free slot, and the next job of its
                // ordering key), and while a lane has too few claimed, a new job or one falling due.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var waits = new List<Task> { Task.Delay(Timeout.InfiniteTimeSpan, time, wait.Token) };
                var running = lanes.All.SelectMany(l => l.Running).ToList();
                if (running.Count > 0)
                {
                    waits.Add(Task.WhenAny(running));
                }

                if (lanes.WantMore)
                {
                    waits.Add(pulse.Task);
                    waits.Add(Task.Delay(await IdleWaitAsync(lanes, stoppingToken), time, wait.Token));
                }

                await Task.WhenAny(waits);
                await wait.CancelAsync();
                if (pulse.Task.IsCompleted)
                {
                    Interlocked.CompareExchange(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), pulse);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            store.JobsEnqueued -= Pulse;
            await HandBackAsync([.. lanes.All.SelectMany(l => l.Claimed).Select(c => c.Job)], "stopping, not started");
            await Task.WhenAll(lanes.All.SelectMany(l => l.Running)); // a job once started is finished (within its timeout): cut in half, it is the one most likely done twice
        }
    }

    /// <summary>
    /// Starts a lane's claimed jobs while it has a free slot, oldest claim first. One claimed longer ago than its timeout is
    /// handed back instead: started now, it could outlive its lease, and another replica run it too.
    /// </summary>
    private async Task StartWhatFitsAsync(Lane lane)
    {
        var stale = new List<EffectJob>();
        while (lane.Running.Count < lane.Slots && lane.Claimed.TryDequeue(out var next))
        {
            if (time.GetUtcNow() - next.At > options.Value.JobTimeout)
            {
                stale.Add(next.Job);
                continue;
            }

            lane.Running.Add(dispatcher.Start(next.Job));
        }

        await HandBackAsync(stale, "they waited past their timeout for a slot");
    }

    /// <summary>
    /// One of the worker's lanes (<see cref="JobLane"/>): its slots, the jobs claimed for them and those running. A batch is
    /// claimed for a lane when fewer wait than it has slots.
    /// </summary>
    private sealed class Lane(JobLane name, int slots, int batchSize)
    {
        public JobLane Name { get; } = name;

        public int Slots { get; } = Math.Max(1, slots);

        public Queue<(EffectJob Job, DateTimeOffset At)> Claimed { get; } = new(); // claimed, waiting for a slot

        public List<Task> Running { get; } = [];

        public int Wanted => Claimed.Count < Slots ? Math.Max(Slots, batchSize) - Claimed.Count : 0;
    }

    private sealed class Lanes(OutboxOptions options)
    {
        /// <summary>Every lane, the timers' and the pages' first (<see cref="JobsWanted.Lanes"/>): their jobs are started and handed back first.</summary>
        public Lane[] All { get; } = [.. JobsWanted.Lanes.Select(lane => new Lane(lane, options.SlotsOf(lane), options.BatchSize))];

        /// <summary>What a claim asks for now: what each lane wants to fill its slots.</summary>
        public JobsWanted Wanted => JobsWanted.From(lane => Of(lane).Wanted);

        public bool WantMore => All.Any(l => l.Wanted > 0);

        /// <summary>The lanes whose next due job ends an idle wait: those that want more.</summary>
        public IReadOnlyCollection<JobLane> Wanting => [.. All.Where(l => l.Wanted > 0).Select(l => l.Name)];

        public Lane Of(JobLane lane) => All.First(l => l.Name == lane);
    }

    private async Task HandBackAsync(IReadOnlyCollection<EffectJob> jobs, string why)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        log.LogInformation("Handing back {Count} claimed jobs: {Why}", jobs.Count, why);
        try
        {
            await dispatcher.ReleaseAsync(jobs);
        }
        catch (Exception e)
        {
            log.LogWarning("Claimed jobs not handed back (they run again when their lease ends): {Reason}", e.Message);
        }
    }

    private void Pulse() => Volatile.Read(ref _pulse).TrySetResult();

    private async Task CleanUpWhenDueAsync(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        _nextCleanUp ??= now + TimeSpan.FromMinutes(1);
        if (now < _nextCleanUp)
        {
            return;
        }

        _nextCleanUp = now + CleanUpEvery;
        try
        {
            await dispatcher.DeleteOldJobsAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            log.LogWarning("Deleting old outbox jobs failed (will try again in {Every}): {Reason}", CleanUpEvery, e.Message);
        }
    }
}
