using System.Diagnostics;
using System.Collections.Concurrent;
using Bot.Core.Ports;
using Bot.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Core.Effects;

/// <summary>
/// Runs the outbox's jobs: claims due jobs, runs each through the handler of its kind, and records the outcome (done,
/// retry later with backoff, or failed for good, which <see cref="IJobFailureReporter"/> tells people about). The worker
/// claims them in batches and starts each as a slot frees up (<see cref="ClaimDueAsync"/>, <see cref="Start"/>);
/// <see cref="RunOnceAsync(CancellationToken)"/> is one pass.
/// </summary>
public sealed class OutboxDispatcher
{
    private readonly IUnitOfWork<IOutboxSession> _store;
    private readonly Dictionary<string, IJobRunner> _runners;
    private readonly IJobFailureReporter? _failures;
    private readonly TimeProvider _time;
    private readonly OutboxOptions _options;
    private readonly ILogger<OutboxDispatcher> _log;

    public OutboxDispatcher(
        IUnitOfWork<IOutboxSession> store, IEnumerable<IJobRunner> runners, TimeProvider time, IOptions<OutboxOptions> options, ILogger<OutboxDispatcher> log,
        IJobFailureReporter? failures = null)
    {
        _store = store;
        _runners = runners.ToDictionary(r => r.Kind, StringComparer.Ordinal);
        _failures = failures;
        _time = time;
        _options = options.Value;
        _log = log;
    }

    /// <summary>How long a claimed job is leased: its timeout twice, so that one started within its first timeout ends within it.</summary>
    public TimeSpan Lease => _options.JobTimeout + _options.JobTimeout;

    /// <summary>
    /// Claims due jobs, up to <paramref name="wanted"/> of each lane, earliest due first, leased for <see cref="Lease"/>: the
    /// outbox worker starts them as its lanes' slots free up (<see cref="Start"/>), and hands back those it could not start
    /// in time (<see cref="ReleaseAsync"/>).
    /// </summary>
    public Task<IReadOnlyList<EffectJob>> ClaimDueAsync(JobsWanted wanted, CancellationToken cancellationToken) =>
        _store.WriteAsync(s => s.ClaimDueJobs(wanted, Lease), cancellationToken);

    /// <summary>
    /// Starts a claimed job, not waiting for it. A job once started is finished even when the host stops (within its
    /// timeout); a store failure recording its outcome is logged, and the job runs again once its lease ends.
    /// </summary>
    public Task Start(EffectJob job) => Task.Run(
        async () =>
        {
            try
            {
                await RunAsync(job, CancellationToken.None);
            }
            catch (Exception e)
            {
                _log.LogWarning("Effect {Key} ({Kind}): its outcome was not recorded, it runs again when its lease ends: {Reason}", job.Key, job.Kind, e.Message);
            }
        },
        CancellationToken.None);

    /// <summary>Hands claimed jobs that were not started back to the outbox, for any replica to claim at once.</summary>
    public Task ReleaseAsync(IReadOnlyCollection<EffectJob> jobs) =>
        jobs.Count == 0 ? Task.CompletedTask : _store.WriteAsync(s => { foreach (var job in jobs) { s.ReleaseJob(job); } return true; }, CancellationToken.None);

    /// <summary>
    /// One pass: runs the jobs due now, up to <see cref="OutboxOptions.BatchSize"/> of each lane, the timers' and the pages' first
    /// (<see cref="JobsWanted.Lanes"/>), then the others, each lane's as many at once as it has slots (<see cref="OutboxOptions.PagingConcurrency"/>,
    /// <see cref="OutboxOptions.Concurrency"/>: with one each, one job at a time, in a set order, as a replay runs them),
    /// and returns how many were claimed once all are done.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var jobs = await ClaimDueAsync(JobsWanted.Each(_options.BatchSize), cancellationToken);
        if (jobs.Count == 0)
        {
            return 0;
        }

        // A job once started is finished even when the host stops (within its timeout, so never past its lease): a
        // side effect cut in half is the one most likely to be done twice. Jobs not yet started are handed back, so that
        // another replica takes them at once instead of when their lease ends.
        var started = new ConcurrentDictionary<long, bool>();
        try
        {
            foreach (var lane in JobsWanted.Lanes)
            {
                await RunLaneAsync(lane, _options.SlotsOf(lane));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var unstarted = jobs.Where(j => !started.ContainsKey(j.Id)).ToList();
            if (unstarted.Count > 0)
            {
                _log.LogInformation("Stopping: handing back {Count} claimed jobs not started", unstarted.Count);
                await ReleaseAsync(unstarted);
            }

            throw;
        }

        return jobs.Count;

        Task RunLaneAsync(JobLane lane, int slots) => Parallel.ForEachAsync(
            jobs.Where(j => j.Lane == lane),
            new ParallelOptions { MaxDegreeOfParallelism = slots, CancellationToken = cancellationToken },
            async (job, _) =>
            {
                started[job.Id] = true;
                await RunAsync(job, CancellationToken.None);
            });
    }

    /// <summary>
    /// Deletes the jobs done more than <see cref="OutboxOptions.KeepDone"/> ago, a chunk per unit of work so that webhooks
    /// never wait long behind it; returns how many.
    /// </summary>
    public async Task<int> DeleteOldJobsAsync(CancellationToken cancellationToken)
    {
        const int chunk = 1000;
        var before = _time.GetUtcNow() - _options.KeepDone;
        var total = 0;
        int deleted;
        do
        {
            deleted = await _store.WriteAsync(s => s.DeleteDoneJobs(before, chunk), cancellationToken);
            total += deleted;
        }
        while (deleted == chunk);

        if (total > 0)
        {
            _log.LogInformation("Deleted {Count} outbox jobs done before {Before:u}", total, before);
        }

        return total;
    }

    /// <summary>The delay before try number <paramref name="attempt"/> + 1 (attempt counts from 1).</summary>
    public TimeSpan Backoff(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.RetryBaseDelay.Ticks * factor, _options.RetryMaxDelay.Ticks));
        return delay;
    }

    private async Task RunAsync(EffectJob row, CancellationToken stopping)
    {
        EffectContext.Enter(row); // flows into the handler's calls, and ends with this method
        using var scope = _log.BeginScope(LogScope(row)); // every line logged while it runs, the handler's too
        // The job continues the trace that enqueued it (a webhook's, a command's), however much later it runs; its calls
        // to Slack and GitHub are its children.
        ActivityContext.TryParse(row.TraceParent, null, isRemote: true, out var parent);
        using var activity = BotTelemetry.Activities.StartActivity($"job {row.Kind}", ActivityKind.Internal, parent);
        activity?.SetTag("job.kind", row.Kind);
        activity?.SetTag("job.id", row.Id);
        activity?.SetTag("job.attempt", row.Attempts + 1);
        var kind = BotTelemetry.Tag("kind", row.Kind);
        BotTelemetry.JobLateness.Record(Math.Max(0, (_time.GetUtcNow() - row.DueAt).TotalSeconds), kind);
        var outcome = await RunOnceAsync(row, stopping);
        BotTelemetry.JobDuration.Record(Math.Max(0, (_time.GetUtcNow() - row.DueAt).TotalSeconds), kind, BotTelemetry.Tag("outcome", outcome));
        activity?.SetTag("job.outcome", outcome);
        activity?.SetStatus(outcome == "done" ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
    }

    /// <summary>The job's id, kind and key, and the incident it is for (its key's <c>INC-n</c>), for the log's scope.</summary>
    public static Dictionary<string, object> LogScope(EffectJob row)
    {
        var scope = new Dictionary<string, object> { ["JobId"] = row.Id, ["JobKind"] = row.Kind, ["JobKey"] = row.Key };
        var incident = row.Key.Split(':')[0];
        if (incident.StartsWith("INC-", StringComparison.Ordinal) && long.TryParse(incident.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            scope["Incident"] = incident;
        }

        return scope;
    }

    /// <summary>Runs the job and records how it went: <c>done</c>, <c>retry</c> or <c>failed</c>.</summary>
    private async Task<string> RunOnceAsync(EffectJob row, CancellationToken stopping)
    {

        if (!_runners.TryGetValue(row.Kind, out var runner))
        {
            await FailAsync(row, null, $"Could not run '{row.Kind}': no handler for that kind of job");
            return "failed";
        }

        IJob job;
        try
        {
            job = runner.Read(row);
        }
        catch (PermanentEffectException e)
        {
            await FailAsync(row, null, $"Could not {runner.Description}: {e.Message}");
            return "failed";
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.JobTimeout);
        try
        {
            await runner.RunAsync(job, row, timeout.Token);
            await _store.WriteAsync(s => { s.CompleteJob(row); return true; }, CancellationToken.None);
            return "done";
        }
        catch (PermanentEffectException e)
        {
            await FailAsync(row, job, $"Could not {runner.Description}: {e.Message}");
            return "failed";
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            var attempt = row.Attempts + 1;
            var now = _time.GetUtcNow();
            if (now - row.CreatedAt >= _options.GiveUpAfter)
            {
                await FailAsync(row, job, $"Could not {runner.Description}: still failing after {attempt} tries: {e.Message}");
                return "failed";
            }

            var after = e is RetryLaterException { After: { } wait } ? wait : Backoff(attempt);
            var reason = e is OperationCanceledException ? $"timed out after {_options.JobTimeout.TotalSeconds:0.#} s" : e.Message;
            _log.LogWarning("Effect {Key} ({Kind}) failed on try {Attempt}, retrying in {Delay}: {Reason}", row.Key, row.Kind, attempt, after, reason);
            await _store.WriteAsync(
                s =>
                {
                    s.RetryJob(row, now + after, reason);
                    _failures?.ReportHeld(s, job, row, attempt, $"Still trying to {runner.Description} after {attempt} {(attempt == 1 ? "try" : "tries")}: {reason}");
                    return true;
                },
                CancellationToken.None);
            return "retry";
        }
    }

    private async Task FailAsync(EffectJob row, IJob? job, string message)
    {
        var recorded = await _store.WriteAsync(
            s =>
            {
                if (!s.FailJob(row, message))
                {
                    return false; // its lease ended and another run holds the job: that run reports what becomes of it
                }

                _failures?.Report(s, job, row, message);
                return true;
            },
            CancellationToken.None);
        if (recorded)
        {
            _log.LogError("Effect {Key} ({Kind}) failed for good: {Reason}", row.Key, row.Kind, message);
        }
        else
        {
            _log.LogWarning("Effect {Key} ({Kind}) failed on a claim whose lease had ended; another run holds the job, so this failure is not recorded: {Reason}", row.Key, row.Kind, message);
        }
    }
}
