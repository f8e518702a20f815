using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Workers;

/// <summary>
/// Runs the outbox: keeps up to <see cref="OutboxOptions.Concurrency"/> jobs running, claiming more whenever a commit adds
/// jobs, one falls due, or a running one ends, and otherwise every <see cref="OutboxOptions.PollInterval"/> (for retries
/// that come due). A slow job holds back no other. Store outages and failed claims are waited out, never fatal.
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
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CleanUpWhenDueAsync(stoppingToken);
                running.RemoveAll(job => job.IsCompleted);
                var pulse = Volatile.Read(ref _pulse);
                var concurrency = Math.Max(1, options.Value.Concurrency);
                var free = concurrency - running.Count;
                var wanted = Math.Min(free, Math.Max(1, options.Value.BatchSize));
                var started = 0;
                if (free > 0)
                {
                    try
                    {
                        var jobs = await dispatcher.StartDueAsync(wanted, stoppingToken);
                        running.AddRange(jobs);
                        started = jobs.Count;
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

                if (started > 0 && started == wanted && running.Count < concurrency)
                {
                    continue; // more may be due
                }

                // Until something may be claimed: a running job ending (a free slot, and the next job of its ordering key),
                // and while a slot is free, a new job or one falling due.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var waits = new List<Task> { Task.Delay(Timeout.InfiniteTimeSpan, time, wait.Token) };
                if (running.Count > 0)
                {
                    waits.Add(Task.WhenAny(running));
                }

                if (running.Count < concurrency)
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
            await Task.WhenAll(running); // a job once started is finished (within its timeout): cut in half, it is the one most likely done twice
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
