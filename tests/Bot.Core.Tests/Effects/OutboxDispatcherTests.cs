using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Effects;

/// <summary>The outbox on the real store and a fake clock: done once, retried with backoff, failures reported.</summary>
public abstract class OutboxDispatcherTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static OutboxDispatcher CreateSut(TestStore t, params IJobRunner[] runners) =>
        new(t.Store, runners, t.Time, Options.Create(new OutboxOptions { RetryBaseDelay = TimeSpan.FromSeconds(2), RetryMaxDelay = TimeSpan.FromSeconds(10) }), NullLogger<OutboxDispatcher>.Instance,
            new IncidentJobFailureReporter());

    private static Mock<IJobHandler<TJob>> Handler<TJob>()
        where TJob : class, IJob<TJob> => new();

    private static IJobRunner Runner<TJob>(Mock<IJobHandler<TJob>> handler)
        where TJob : class, IJob<TJob> => new JobRunner<TJob>(handler.Object);

    [Fact]
    public async Task RunOnce_Success_RunsEachJobOnce()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => s.Enqueue(new TestJob("k", "INC-1")));
        var handler = Handler<TestJob>();

        var sut = CreateSut(t, Runner(handler));
        Assert.Equal(1, await sut.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await sut.RunOnceAsync(CancellationToken.None));

        handler.Verify(h => h.HandleAsync(new TestJob("k", "INC-1"), It.Is<EffectJob>(j => j.Key == "k"), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AJobRunAfterARestart_ContinuesTheTraceOfTheWorkThatEnqueuedIt()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name is "IncidentBot" or "test",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var source = new System.Diagnostics.ActivitySource("test");
        await using var t = NewStore();
        System.Diagnostics.ActivityTraceId webhook;
        using (var request = source.StartActivity("POST /webhooks/alertmanager")!)
        {
            webhook = request.TraceId;
            await t.Store.WriteAsync(s => s.Enqueue(new TestJob("INC-1:chat:1", "INC-1")));
        }

        await t.ReopenAsync(); // minutes later, another process
        System.Diagnostics.Activity? running = null;
        var handler = Handler<TestJob>();
        handler.Setup(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .Callback(() => running = System.Diagnostics.Activity.Current).Returns(Task.CompletedTask);
        await CreateSut(t, Runner(handler)).RunOnceAsync(CancellationToken.None);

        Assert.NotNull(running);
        Assert.Equal("job test.job", running.DisplayName);
        Assert.Equal(webhook, running.TraceId);
    }

    [Fact]
    public async Task RunOnce_LogsAJobsLinesInAScopeNamingTheJobAndItsIncident()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => s.Enqueue(new TestJob("INC-7:chat:summary", "INC-7")));
        var scopes = new List<Dictionary<string, object>>();
        var log = new Mock<Microsoft.Extensions.Logging.ILogger<OutboxDispatcher>>();
        log.Setup(l => l.BeginScope(It.IsAny<Dictionary<string, object>>())).Callback<Dictionary<string, object>>(scopes.Add).Returns(Mock.Of<IDisposable>());
        var sut = new OutboxDispatcher(t.Store, [Runner(Handler<TestJob>())], t.Time, Options.Create(new OutboxOptions()), log.Object);

        await sut.RunOnceAsync(CancellationToken.None);

        var scope = Assert.Single(scopes);
        Assert.Equal("INC-7", scope["Incident"]);
        Assert.Equal("INC-7:chat:summary", scope["JobKey"]);
        Assert.Equal(TestJob.Kind, scope["JobKind"]);
        Assert.True((long)scope["JobId"] > 0);
    }

    [Fact]
    public async Task DeleteOldJobs_DeletesJobsDoneLongerAgoThanKeepDone_AndKeepsTheRest()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("old-done", T0));
            s.Enqueue(TestJob.Row("old-failed", T0));
            s.Enqueue(TestJob.Row("waiting", T0.AddDays(30)));
            for (var i = 0; i < 2500; i++)
            {
                s.Enqueue(TestJob.Row($"storm-{i}", T0));
            }
        });
        await FinishDueJobsAsync(t, fail: "old-failed");
        t.Time.Advance(TimeSpan.FromDays(6));
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("recent-done", t.Time.GetUtcNow())));
        await FinishDueJobsAsync(t, fail: null);
        t.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromHours(1));

        var deleted = await CreateSut(t).DeleteOldJobsAsync(CancellationToken.None);

        Assert.Equal(2501, deleted); // in chunks: a storm's jobs never make one long unit of work
        // Asked again now, a deleted job's key is free; a kept one still refuses a second job.
        string[] keys = ["old-done", "storm-7", "old-failed", "waiting", "recent-done"];
        await t.Store.WriteAsync(s =>
        {
            foreach (var k in keys)
            {
                s.Enqueue(TestJob.Row(k, s.Now, $"again-{k}"));
            }
        });
        var taken = (await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)))).Select(j => j.Key);
        Assert.Equal(["old-done", "storm-7"], taken);
        Assert.Equal(0, await CreateSut(t).DeleteOldJobsAsync(CancellationToken.None));
    }

    private static async Task FinishDueJobsAsync(TestStore t, string? fail)
    {
        while (await t.Store.WriteAsync(s => s.ClaimDueJobs(500, TimeSpan.FromMinutes(1))) is { Count: > 0 } jobs)
        {
            await t.Store.WriteAsync(s =>
            {
                foreach (var job in jobs)
                {
                    if (job.Key == fail)
                    {
                        s.FailJob(job, "gave up");
                    }
                    else
                    {
                        s.CompleteJob(job);
                    }
                }

                return 0;
            });
        }
    }

    /// <summary>
    /// A pass runs the lanes' due jobs lane after lane (the timers', the paging lanes', then the default one), each lane as
    /// many at once as it has slots: with one slot each (a replay's settings), one job at a time, a step before a page and a
    /// page before a message due before them, in the same order every time.
    /// </summary>
    [Fact]
    public async Task RunOnce_RunsThePagingLanesFirst_ThenTheOthers_OneAtATimeWithOneSlotEach()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row("message-1", T0.AddMinutes(-2), "INC-1"));
            s.Enqueue(TestJob.Row("message-2", T0.AddMinutes(-2), "INC-2"));
            s.Enqueue(TestJob.Row("page-1", T0.AddMinutes(-1), "P1", JobLane.Phone));
            s.Enqueue(TestJob.Row("page-2", T0, "P2", JobLane.Phone));
            s.Enqueue(TestJob.Row("dm", T0.AddMinutes(-3), "D", JobLane.ChatPaging));
            s.Enqueue(TestJob.Row("step", T0, "S", JobLane.Timers));
            s.Enqueue(TestJob.Row("email", T0.AddMinutes(-4), "E", JobLane.Email));
            s.Enqueue(TestJob.Row("hook", T0.AddMinutes(-5), "W", JobLane.Webhooks));
        });
        var ran = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (running, most) = (0, 0);
        var sut = new OutboxDispatcher(
            t.Store,
            [TestJobHandler.Runner(async (job, _) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Yield();
                ran.Enqueue(job.Name);
                Interlocked.Decrement(ref running);
            })],
            t.Time,
            Options.Create(new OutboxOptions { Concurrency = 1, PagingConcurrency = 1 }),
            NullLogger<OutboxDispatcher>.Instance);

        Assert.Equal(8, await sut.RunOnceAsync(CancellationToken.None));

        Assert.Equal(["step", "page-1", "page-2", "email", "hook", "dm", "message-1", "message-2"], ran); // JobsWanted.Lanes' order, whatever the due times
        Assert.Equal(1, most);

        static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    [Fact]
    public async Task RunOnce_Stopping_FinishesTheStartedJob_AndHandsBackTheOthersAtOnce()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s =>
        {
            for (var i = 1; i <= 3; i++)
            {
                s.Enqueue(TestJob.Row($"k{i}", T0, $"INC-{i}"));
            }
        });
        var running = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var handler = Handler<TestJob>();
        handler.Setup(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .Returns(async () => { running.TrySetResult(); await release.Task; });
        var sut = new OutboxDispatcher(
            t.Store, [Runner(handler)], t.Time, Options.Create(new OutboxOptions { Concurrency = 1 }), NullLogger<OutboxDispatcher>.Instance);
        using var stopping = new CancellationTokenSource();

        var pass = sut.RunOnceAsync(stopping.Token);
        await running.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await stopping.CancelAsync(); // SIGTERM while the first job runs
        release.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pass);

        handler.Verify(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()), Times.Once);
        var again = await t.Store.WriteAsync(s => s.ClaimDueJobs(10, TimeSpan.FromMinutes(1))); // no lease to wait out
        Assert.Equal(["k2", "k3"], again.Select(j => j.Key));
    }

    [Fact]
    public async Task Handlers_AreToldWhenAnEarlierTryMayHaveActed_AfterAFailureOrADeadClaim_NotAfterAHandBack()
    {
        await using var t = NewStore();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string Key, bool Before)>();
        var fail = new HashSet<string> { "failed-once" };
        var sut = CreateSut(t, TestJobHandler.Runner((job, row) =>
        {
            Assert.Equal(row.MayHaveRunBefore, EffectContext.MayHaveRunBefore); // the adapters read it from the call path
            seen.Enqueue((job.Key, row.MayHaveRunBefore));
            return fail.Remove(job.Key) ? Task.FromException(new HttpRequestException("lost answer")) : Task.CompletedTask;
        }));
        var lease = new OutboxOptions().JobTimeout * 2;
        await t.Store.WriteAsync(s =>
        {
            foreach (var k in new[] { "fresh", "failed-once", "dead-claim", "handed-back" })
            {
                s.Enqueue(TestJob.Row(k, T0, $"INC-{k}"));
            }
        });

        // A replica claims two jobs and dies holding one; the other it hands back unstarted (SIGTERM).
        var held = await t.Store.WriteAsync(s => s.ClaimDueJobs(10, lease));
        await t.Store.WriteAsync(s =>
        {
            s.ReleaseJob(held.Single(j => j.Key == "handed-back"));
            foreach (var other in held.Where(j => j.Key is "fresh" or "failed-once"))
            {
                s.ReleaseJob(other);
            }

            return 0;
        });

        await sut.RunOnceAsync(CancellationToken.None); // fresh, failed-once (fails), handed-back
        t.Time.Advance(lease);
        while (await sut.RunOnceAsync(CancellationToken.None) > 0)
        {
        }

        Assert.Equal(
            [("dead-claim", true), ("failed-once", false), ("failed-once", true), ("fresh", false), ("handed-back", false)],
            seen.OrderBy(x => x.Key, StringComparer.Ordinal).ThenBy(x => x.Before));
    }

    [Fact]
    public async Task RunOnce_TransientFailure_RetriesWithBackoffOnTheClock()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));
        var handler = Handler<TestJob>();
        handler.SetupSequence(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("503"))
            .ThrowsAsync(new HttpRequestException("503"))
            .Returns(Task.CompletedTask);
        var sut = CreateSut(t, Runner(handler));

        await sut.RunOnceAsync(CancellationToken.None);            // try 1 fails: due in 2 s
        t.Time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(0, await sut.RunOnceAsync(CancellationToken.None));
        t.Time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(1, await sut.RunOnceAsync(CancellationToken.None)); // try 2 fails: due in 4 s
        t.Time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.Equal(0, await sut.RunOnceAsync(CancellationToken.None));
        t.Time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(1, await sut.RunOnceAsync(CancellationToken.None)); // try 3 succeeds
        t.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await sut.RunOnceAsync(CancellationToken.None));

        handler.Verify(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
    }

    [Fact]
    public async Task RunOnce_RetryLater_WaitsAsAsked()
    {
        await using var t = NewStore();
        await t.Store.WriteAsync(s => s.Enqueue(TestJob.Row("k", T0)));
        var handler = Handler<TestJob>();
        handler.SetupSequence(h => h.HandleAsync(It.IsAny<TestJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RetryLaterException("429", TimeSpan.FromSeconds(30)))
            .Returns(Task.CompletedTask);
        var sut = CreateSut(t, Runner(handler));

        await sut.RunOnceAsync(CancellationToken.None);
        t.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await sut.RunOnceAsync(CancellationToken.None));
        t.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await sut.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Backoff_DoublesUpToTheCap()
    {
        await using var t = NewStore();
        var sut = CreateSut(t);

        Assert.Equal([2, 4, 8, 10, 10], new[] { 1, 2, 3, 4, 40 }.Select(a => sut.Backoff(a).TotalSeconds));
    }

    [Fact]
    public async Task RunOnce_PermanentFailure_IsNotRetried_AndLandsOnTheTimeline()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var handler = Handler<OpenChannelJob>();
        handler.Setup(h => h.HandleAsync(It.IsAny<OpenChannelJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new PermanentEffectException("invalid_auth: the bot token was refused"));
        var sut = CreateSut(t, Runner(handler), Runner(Handler<PostSummaryJob>()), Runner(Handler<AnnounceJob>()), new JobRunner<JobFailedJob>(new JobFailedHandler(t.Store)));

        await sut.RunOnceAsync(CancellationToken.None);
        t.Time.Advance(TimeSpan.FromHours(1));
        await sut.RunOnceAsync(CancellationToken.None);

        handler.Verify(h => h.HandleAsync(It.IsAny<OpenChannelJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()), Times.Once);
        var entry = Assert.Single(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.EffectFailed && e.Text.Contains("channel"));
        Assert.Equal("Could not create the incident channel: invalid_auth: the bot token was refused", entry.Text);
    }

    [Fact]
    public async Task AFailureOnAClaimWhoseLeaseEnded_IsNeitherRecordedNorReported_TheRunHoldingTheJobDecides()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var lease = new OutboxOptions().JobTimeout * 2;
        IReadOnlyList<EffectJob> taken = [];
        var handler = Handler<OpenChannelJob>();
        handler.Setup(h => h.HandleAsync(It.IsAny<OpenChannelJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .Returns(async () =>
            {
                // This run stalls past its lease; another replica claims the job meanwhile. Then this run fails for good.
                t.Time.Advance(lease);
                taken = await t.Store.WriteAsync(s => s.ClaimDueJobs(10, lease));
                throw new PermanentEffectException("invalid_auth");
            });
        var sut = CreateSut(t, Runner(handler), Runner(Handler<PostSummaryJob>()), Runner(Handler<AnnounceJob>()), new JobRunner<JobFailedJob>(new JobFailedHandler(t.Store)));

        await sut.RunOnceAsync(CancellationToken.None);
        var job = Assert.Single(taken, j => j.Kind == OpenChannelJob.Kind);
        await t.Store.WriteAsync(s => { s.CompleteJob(job); return 0; }); // the holder's outcome stands
        t.Time.Advance(lease);
        while (await sut.RunOnceAsync(CancellationToken.None) > 0)
        {
        }

        handler.Verify(h => h.HandleAsync(It.IsAny<OpenChannelJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.DoesNotContain(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.EffectFailed);
    }

    /// <summary>
    /// A job failing try after try is said while it is retried only when it is a page (the paging lanes) of an incident,
    /// and at its third try only: not a job of the default lane (an issue to file), however many tries.
    /// </summary>
    [Fact]
    public void AJobHeld_IsReportedAtItsThirdTry_OnlyWhenItIsAnIncidentsPage()
    {
        var enqueued = new List<EffectJob>();
        var outbox = new Mock<IOutbox>();
        outbox.Setup(o => o.Enqueue(It.IsAny<EffectJob>())).Callback<EffectJob>(enqueued.Add);
        IJobFailureReporter reporter = new IncidentJobFailureReporter();
        var sms = new Bot.Core.Escalation.NotifyJob(1, "U1", Bot.Core.Escalation.NotificationRule.Sms, 0, "INC-1:esc:db:r1:c0:s0", 0);
        var issue = new Bot.Core.Tasks.FileTaskJob(1, 2);

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            reporter.ReportHeld(outbox.Object, sms, EffectJob.Of(sms, T0), attempt, $"Still trying to page a responder after {attempt} tries: 503");
            reporter.ReportHeld(outbox.Object, issue, EffectJob.Of(issue, T0), attempt, $"Still trying to file the task after {attempt} tries: 503");
        }

        var held = Assert.Single(enqueued);
        Assert.Equal($"{sms.Key}:held:failed", held.Key);
        Assert.Contains("after 3 tries: 503. Responders may not have been reached", held.Payload);
    }

    [Fact]
    public async Task RunOnce_FailingPastGiveUp_IsReportedOnce()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("a1", T0)));
        var handler = Handler<OpenChannelJob>();
        handler.Setup(h => h.HandleAsync(It.IsAny<OpenChannelJob>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>())).ThrowsAsync(new HttpRequestException("connection refused"));
        var sut = new OutboxDispatcher(
            t.Store, [Runner(handler), new JobRunner<JobFailedJob>(new JobFailedHandler(t.Store))], t.Time,
            Options.Create(new OutboxOptions { GiveUpAfter = TimeSpan.FromMinutes(10), RetryMaxDelay = TimeSpan.FromMinutes(1) }), NullLogger<OutboxDispatcher>.Instance,
            new IncidentJobFailureReporter());

        for (var i = 0; i < 30; i++)
        {
            await sut.RunOnceAsync(CancellationToken.None);
            t.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Single(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.EffectFailed && e.Text.Contains("connection refused"));
    }
}

public sealed class OutboxDispatcherTestsInMemory() : OutboxDispatcherTests(StoreEngine.Memory);
