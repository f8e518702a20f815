using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Workers;

/// <summary>
/// Runs the outbox: a pass whenever a commit adds jobs, and otherwise every <see cref="OutboxOptions.PollInterval"/>
/// (for retries that come due). Store outages and failed passes are waited out, never fatal.
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
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await CleanUpWhenDueAsync(stoppingToken);
                var pulse = Volatile.Read(ref _pulse);
                int claimed;
                try
                {
                    claimed = await dispatcher.RunOnceAsync(stoppingToken);
                }
                catch (StoreUnavailableException e)
                {
                    log.LogWarning("Outbox pass skipped: {Reason}", e.Message);
                    claimed = 0;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A bug, or a timeout of its own, must not stop the bot: the jobs stay in the outbox and the next pass tries again.
                    log.LogError(e, "Outbox pass failed");
                    claimed = 0;
                }

                if (claimed == 0)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    await Task.WhenAny(pulse.Task, Task.Delay(await IdleWaitAsync(stoppingToken), time, wait.Token));
                    await wait.CancelAsync();
                    if (pulse.Task.IsCompleted)
                    {
                        Interlocked.CompareExchange(ref _pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), pulse);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            store.JobsEnqueued -= Pulse;
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
