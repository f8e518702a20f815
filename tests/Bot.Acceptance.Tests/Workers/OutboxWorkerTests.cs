using Bot.Core.Effects;
using Bot.Core.Ports;
using Bot.Core.Store;
using Bot.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bot.Acceptance.Tests.Workers;

/// <summary>The outbox worker: jobs run as they fall due, none held back by another; done jobs are deleted in time.</summary>
public class OutboxWorkerTests
{
    /// <summary>
    /// A slow job (a Slack or GitHub call that takes its whole timeout) holds back no job enqueued while it runs: the
    /// worker keeps <c>Outbox:Concurrency</c> jobs running and claims as jobs come. Its passes, each waiting for all its
    /// jobs, held every page enqueued meanwhile until the slow one ended (this failed then).
    /// </summary>
    [Fact]
    public async Task ASlowJob_HoldsBackNoJobEnqueuedWhileItRuns()
    {
        var store = new InMemoryIncidentStore(TimeProvider.System);
        var (slowStarted, slowGoes, pageRan) = (new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource());
        var runner = TestJobHandler.Runner(async (job, _) =>
        {
            if (job.Name == "slow")
            {
                slowStarted.TrySetResult();
                await slowGoes.Task;
            }
            else
            {
                pageRan.TrySetResult();
            }
        });
        var worker = await StartWorkerAsync(store, runner, TimeProvider.System, new OutboxOptions());
        try
        {
            await store.WriteAsync(s => { s.Enqueue(TestJob.Row("slow", s.Now)); return 0; });
            await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await store.WriteAsync(s => { s.Enqueue(TestJob.Row("page", s.Now)); return 0; });

            await pageRan.Task.WaitAsync(TimeSpan.FromSeconds(10)); // while the slow one still runs
            Assert.False(slowGoes.Task.IsCompleted);
        }
        finally
        {
            slowGoes.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }

        // Stopping waited for the slow job's end, which is recorded: nothing is left to claim.
        Assert.Empty(await store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))));
    }

    /// <summary>
    /// A job claimed in a batch that waited past its timeout for a slot is handed back and claimed again, not started on
    /// a lease that ends before its timeout could: another replica claiming once the first lease ended finds it taken.
    /// </summary>
    [Fact]
    public async Task AClaimedJobThatWaitedPastItsTimeout_IsClaimedAgain_NotRunOnItsOldLease()
    {
        var time = new FakeTimeProvider(TestStore.Start);
        var store = new InMemoryIncidentStore(time);
        var (slowStarted, slowGoes, secondStarted, secondGoes) = (new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource());
        var runner = TestJobHandler.Runner(async (job, _) =>
        {
            var (started, goes) = job.Name == "slow" ? (slowStarted, slowGoes) : (secondStarted, secondGoes);
            started.TrySetResult();
            await goes.Task;
        });
        var worker = await StartWorkerAsync(store, runner, time, new OutboxOptions { Concurrency = 1, BatchSize = 2, JobTimeout = TimeSpan.FromMinutes(1) });
        try
        {
            await store.WriteAsync(s => { s.Enqueue(TestJob.Row("slow", s.Now)); s.Enqueue(TestJob.Row("second", s.Now)); return 0; });
            await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10)); // both claimed, "second" waiting for the one slot
            time.Advance(TimeSpan.FromSeconds(90)); // past its timeout, within its lease (two timeouts)
            slowGoes.SetResult();
            await secondStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

            time.Advance(TimeSpan.FromSeconds(60)); // past the first claim's lease: another replica claims what is free
            Assert.Empty(await store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(2))));
        }
        finally
        {
            slowGoes.TrySetResult();
            secondGoes.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A lane's backlog never holds back another lane's job: with the one slot of <paramref name="hung"/>'s lane held by a
    /// job that hangs and ten more of its jobs due before it, a job of <paramref name="free"/>'s lane enqueued after them
    /// runs at once, in its own slots. A page behind channel messages held by a chat service that does not answer; an SMS
    /// behind direct messages (Slack hanging); the next escalation step, or an e-mail, behind SMS (an SMS provider hanging); an SMS behind e-mails (a mail server hanging) or outgoing webhooks (their endpoint); a new incident's channel
    /// behind summaries' refreshes waiting for the chat's budget of updates (incidents storming). In one lane
    /// each waited for the hung job (until its try timed out) and then every job before it.
    /// </summary>
    [Theory]
    [InlineData(JobLane.Default, JobLane.Phone)]
    [InlineData(JobLane.ChatPaging, JobLane.Phone)]
    [InlineData(JobLane.Phone, JobLane.Timers)]
    [InlineData(JobLane.Phone, JobLane.Email)]
    [InlineData(JobLane.Email, JobLane.Phone)]
    [InlineData(JobLane.Webhooks, JobLane.Phone)]
    [InlineData(JobLane.Summaries, JobLane.Default)]
    public async Task AJobOfALane_RunsAtOnce_WhileAnotherLanesJobHangsInEverySlotAndMoreWaitBeforeIt(JobLane hung, JobLane free)
    {
        var store = new InMemoryIncidentStore(TimeProvider.System);
        var (hanging, hungGo, freeRan) = (new TaskCompletionSource(), new TaskCompletionSource(), new TaskCompletionSource());
        var started = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var runner = TestJobHandler.Runner(async (job, _) =>
        {
            started.Enqueue(job.Name);
            if (job.Name == "free")
            {
                freeRan.TrySetResult();
                return;
            }

            hanging.TrySetResult();
            await hungGo.Task;
        });
        var worker = await StartWorkerAsync(store, runner, TimeProvider.System, new OutboxOptions { Concurrency = 1, PagingConcurrency = 1, BatchSize = 4, LaneConcurrency = { ["summaries"] = 1 } });
        try
        {
            await store.WriteAsync(s =>
            {
                for (var i = 0; i <= 10; i++)
                {
                    s.Enqueue(TestJob.Row($"hung-{i}", s.Now, lane: hung));
                }

                return 0;
            });
            await hanging.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await store.WriteAsync(s => { s.Enqueue(TestJob.Row("free", s.Now, lane: free)); return 0; });

            await freeRan.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(["hung-0", "free"], started); // the hung lane's others still wait for its one slot
        }
        finally
        {
            hungGo.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A lane given slots of its own (<c>Outbox:LaneConcurrency:phone</c>: an SMS provider that takes a second a message)
    /// runs that many of its jobs at once, while the other page lanes keep <c>Outbox:PagingConcurrency</c>'s: with every
    /// job hanging, three SMS start and one e-mail of three.
    /// </summary>
    [Fact]
    public async Task ALaneWithSlotsOfItsOwn_RunsThatManyAtOnce_AndTheOthersTheirs()
    {
        var store = new InMemoryIncidentStore(TimeProvider.System);
        var go = new TaskCompletionSource();
        var started = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var runner = TestJobHandler.Runner(async (job, _) =>
        {
            started.Enqueue(job.Name);
            await go.Task;
        });
        var options = new OutboxOptions { Concurrency = 1, PagingConcurrency = 1, BatchSize = 8, LaneConcurrency = { ["Phone"] = 3 } };
        var worker = await StartWorkerAsync(store, runner, TimeProvider.System, options);
        try
        {
            await store.WriteAsync(s =>
            {
                for (var i = 0; i < 5; i++)
                {
                    s.Enqueue(TestJob.Row($"sms-{i}", s.Now, lane: JobLane.Phone));
                    s.Enqueue(TestJob.Row($"email-{i}", s.Now, lane: JobLane.Email));
                }

                return 0;
            });

            int Started(string kind) => started.Count(name => name.StartsWith(kind, StringComparison.Ordinal));
            await BotServer.EventuallyAsync(() => Task.FromResult((Sms: Started("sms"), Email: Started("email"))), n => n is (3, 1), TimeSpan.FromSeconds(10), "three SMS and an e-mail");

            // A job of a third lane enqueued after them has run, so the worker has been round its lanes again since
            await store.WriteAsync(s => { s.Enqueue(TestJob.Row("hook", s.Now, lane: JobLane.Webhooks)); return 0; });
            await BotServer.EventuallyAsync(() => Task.FromResult(Started("hook")), n => n == 1, TimeSpan.FromSeconds(10), "the webhook");
            Assert.Equal((3, 1), (Started("sms"), Started("email"))); // no fourth SMS, no second e-mail
        }
        finally
        {
            go.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// While the messages' lane has its slot and its claimed queue full and more messages are due, the worker waits for
    /// the other lanes' next job (none: the poll interval), not for that backlog: asked for the earliest job of either
    /// lane, it found one due already, woke at once to claim no page, and did so again and again, as fast as the store
    /// answered. On a frozen clock it now asks once, and again only as the clock moves.
    /// </summary>
    [Fact]
    public async Task WhileMessagesFillTheirLaneAndMoreAreDue_TheWorkerWaitsForThePagingLanesNextJob_NotForThem()
    {
        var time = new FakeTimeProvider(TestStore.Start);
        var store = new InMemoryIncidentStore(time);
        var asked = new System.Collections.Concurrent.ConcurrentQueue<IReadOnlyCollection<JobLane>?>();
        var hung = new TaskCompletionSource();
        var messagesGo = new TaskCompletionSource();
        var runner = TestJobHandler.Runner(async (_, _) =>
        {
            hung.TrySetResult();
            await messagesGo.Task;
        });
        await store.WriteAsync(s =>
        {
            for (var i = 0; i < 5; i++)
            {
                s.Enqueue(TestJob.Row($"message-{i}", s.Now));
            }

            return 0;
        });
        var options = Options.Create(new OutboxOptions { Concurrency = 1, BatchSize = 1 });
        var dispatcher = new OutboxDispatcher(store, [runner], time, options, NullLogger<OutboxDispatcher>.Instance);
        var worker = new OutboxWorker(dispatcher, new AskedLanes(store, asked), time, options, NullLogger<OutboxWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);
        try
        {
            await hung.Task.WaitAsync(TimeSpan.FromSeconds(10)); // message-0 in the one slot, message-1 claimed behind it
            await BotServer.EventuallyAsync(() => Task.FromResult(asked.Count), n => n > 0, TimeSpan.FromSeconds(10), "the worker's wait");
            var before = asked.Count;

            // The clock moves a poll interval at each look (the worker may not wait on it yet when it first moves): the
            // worker asks again once its wait ends, about once a move.
            var moves = 0;
            await BotServer.EventuallyAsync(
                () =>
                {
                    moves++;
                    time.Advance(new OutboxOptions().PollInterval);
                    return Task.FromResult(asked.Count);
                },
                n => n > before,
                TimeSpan.FromSeconds(10),
                "the worker's next wait");
            Assert.True(asked.Count <= before + (2 * moves) + 2, $"the worker asked {asked.Count} times on a clock that moved {moves} times");
            Assert.All(asked, lanes => Assert.Equal([JobLane.Timers, JobLane.Phone, JobLane.Email, JobLane.Webhooks, JobLane.ChatPaging, JobLane.Summaries], lanes));
        }
        finally
        {
            messagesGo.TrySetResult();
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The store's signals, noting the lane of each question for the next job's due time.</summary>
    private sealed class AskedLanes(IOutboxSignals store, System.Collections.Concurrent.ConcurrentQueue<IReadOnlyCollection<JobLane>?> asked) : IOutboxSignals
    {
        public event Action? JobsEnqueued
        {
            add => store.JobsEnqueued += value;
            remove => store.JobsEnqueued -= value;
        }

        public Task<DateTimeOffset?> NextDueAtAsync(IReadOnlyCollection<JobLane>? lanes = null, CancellationToken cancellationToken = default)
        {
            asked.Enqueue(lanes);
            return store.NextDueAtAsync(lanes, cancellationToken);
        }

        public Task<bool> LaterJobIsDueAsync(EffectJob job, CancellationToken cancellationToken = default) => store.LaterJobIsDueAsync(job, cancellationToken);
    }

    [Fact]
    public async Task DoneJobs_AreDeleted_OnceKeepDoneHasPassed_NotBefore()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
        await using var bot = await BotServer.StartAsync(
            new Dictionary<string, string?> { ["Outbox:KeepDone"] = "01:00:00" }, b => b.Services.AddSingleton<TimeProvider>(time));
        var store = bot.Services.GetRequiredService<IIncidentStore>();
        await CompleteAsync(store, "done-long-ago");

        time.Advance(TimeSpan.FromHours(2)); // past KeepDone and past the clean-up's first pass, a minute after start
        await CompleteAsync(store, "done-just-now");

        await BotServer.EventuallyAsync(() => EnqueueAgainAsync(store, time, "done-long-ago"), deleted => deleted, TimeSpan.FromSeconds(10), "the old job's deletion");
        Assert.False(await EnqueueAgainAsync(store, time, "done-just-now")); // kept: its key still refuses a second job
    }

    /// <summary>The bot's outbox worker over the store, running the test jobs through <paramref name="runner"/>.</summary>
    private static async Task<OutboxWorker> StartWorkerAsync(IIncidentStore store, IJobRunner runner, TimeProvider time, OutboxOptions outbox)
    {
        var options = Options.Create(outbox);
        var dispatcher = new OutboxDispatcher(store, [runner], time, options, NullLogger<OutboxDispatcher>.Instance);
        var worker = new OutboxWorker(dispatcher, store, time, options, NullLogger<OutboxWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);
        return worker;
    }

    private static Task CompleteAsync(IIncidentStore store, string key) => store.WriteAsync(s =>
    {
        s.Enqueue(TestJob.Row(key, s.Now));
        s.CompleteJob(s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)).Single(j => j.Key == key));
        return 0;
    });

    /// <summary>Asks for a job with this key again, due now, and says whether the outbox took it (its key was free).</summary>
    private static Task<bool> EnqueueAgainAsync(IIncidentStore store, FakeTimeProvider time, string key) =>
        store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row(key, s.Now, $"again-{key}"));
            return s.ClaimDueJobs(100, TimeSpan.FromMinutes(1)).Any(j => j.Key == key);
        });
}
