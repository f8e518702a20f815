using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Workers;

/// <summary>
/// Runs the outbox: keeps up to <see cref="OutboxOptions.Concurrency"/> jobs running, each started as a slot frees up from
/// the jobs claimed in batches of <see cref="OutboxOptions.BatchSize"/> (a batch claimed when fewer are waiting than
/// there are slots: when a commit adds jobs, one falls due, a running one ends, or every
/// <see cref="OutboxOptions.PollInterval"/>). A slow job holds back no other, as a pass that waited for all its jobs did.
/// Store outages and failed claims are waited out, never fatal.
/// </summary>
internal sealed class OutboxWorker(OutboxDispatcher dispatcher, IOutboxSignals store, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxWorker> log)
    : BackgroundService
{
    /// <summary>How often done jobs older than <see cref="OutboxOptions.KeepDone"/> are deleted; the first time, a minute after start.</summary>
    private static readonly TimeSpan CleanUpEvery = TimeSpan.FromHours(1);

    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset? _nextCleanUp;

    /// <summary>
    /// Until the next pass when idle: the poll interval, or less when a waiting job (an escalation step, a retry) falls
    /// due sooner, so timers fire on time rather than on the next poll.
    /// </summary>
    private async Task<TimeSpan> IdleWaitAsync(CancellationToken stoppingToken)
    {
        var poll = options.Value.PollInterval;
        try
        {
            var until = await store.NextDueAtAsync(stoppingToken) - time.GetUtcNow();
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
        var claimed = new Queue<(EffectJob Job, DateTimeOffset At)>(); // claimed, waiting for a slot
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CleanUpWhenDueAsync(stoppingToken);
                running.RemoveAll(job => job.IsCompleted);
                var pulse = Volatile.Read(ref _pulse);
                var concurrency = Math.Max(1, options.Value.Concurrency);
                var batch = Math.Max(concurrency, options.Value.BatchSize);
                var more = false;
                if (claimed.Count < concurrency) // too few waiting to fill the slots as they free: claim a batch
                {
                    try
                    {
                        var wanted = batch - claimed.Count;
                        var jobs = await dispatcher.ClaimDueAsync(wanted, stoppingToken);
                        var at = time.GetUtcNow();
                        foreach (var job in jobs)
                        {
                            claimed.Enqueue((job, at));
                        }

                        more = jobs.Count == wanted; // a full claim: more may be due
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

                await StartWhatFitsAsync(claimed, running, concurrency);
                if (more && claimed.Count < concurrency)
                {
                    continue;
                }

                // Until something may be started or claimed: a running job ending (a free slot, and the next job of its
                // ordering key), and while too few are claimed, a new job or one falling due.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var waits = new List<Task> { Task.Delay(Timeout.InfiniteTimeSpan, time, wait.Token) };
                if (running.Count > 0)
                {
                    waits.Add(Task.WhenAny(running));
                }

                if (claimed.Count < concurrency)
                {
                    waits.Add(pulse.Task);
                    waits.Add(Task.Delay(await IdleWaitAsync(stoppingToken), time, wait.Token));
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
            await HandBackAsync([.. claimed.Select(c => c.Job)], "stopping, not started");
            await Task.WhenAll(running); // a job once started is finished (within its timeout): cut in half, it is the one most likely done twice
        }
    }

    /// <summary>
    /// Starts claimed jobs while a slot is free, oldest claim first. One claimed longer ago than its timeout is handed back
    /// instead: started now, it could outlive its lease, and another replica run it too.
    /// </summary>
    private async Task StartWhatFitsAsync(Queue<(EffectJob Job, DateTimeOffset At)> claimed, List<Task> running, int concurrency)
    {
        var stale = new List<EffectJob>();
        while (running.Count < concurrency && claimed.TryDequeue(out var next))
        {
            if (time.GetUtcNow() - next.At > options.Value.JobTimeout)
            {
                stale.Add(next.Job);
                continue;
            }

            running.Add(dispatcher.Start(next.Job));
        }

        await HandBackAsync(stale, "they waited past their timeout for a slot");
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
