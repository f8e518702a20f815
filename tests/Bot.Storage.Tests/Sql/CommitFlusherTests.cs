using Bot.Storage.Sql;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The flusher's own promises, without a store: what a flush answers is decided before it starts, and a writer waiting
/// for a batch's ticket resumes only once that batch was handed to its callers.
/// </summary>
public sealed class CommitFlusherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AWriterWaitingForABatch_ResumesOnlyOnceItWasAnswered_AndABatchHandedOverDuringAFlushWaitsForTheNext()
    {
        using var started = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var answered = new List<string>();
        var flushes = 0;
        using var flusher = new CommitFlusher(
            "test-flush",
            () =>
            {
                if (Interlocked.Increment(ref flushes) == 1)
                {
                    started.Release();
                    release.Wait(Patience);
                }
            },
            (units, _) =>
            {
                lock (answered)
                {
                    answered.Add(units.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
            },
            (_, _) => { },
            failureLasts: false,
            oneBatchFlushing: true,
            NullLogger.Instance);

        await Task.Run(() => flusher.BeforeNextBatch(0, () => false)).WaitAsync(Patience); // no batch before last: at once
        var first = flusher.After([], enqueued: false);
        Assert.True(await started.WaitAsync(Patience), "the first flush never started");
        var second = flusher.After([], enqueued: false); // during the first flush: the next one answers it
        Assert.Equal((1L, 2L), (first, second));

        var seen = -1;
        using var waiting = new SemaphoreSlim(0);
        var waiter = Task.Run(() =>
        {
            waiting.Release();
            flusher.BeforeNextBatch(first, () => false);
            lock (answered)
            {
                seen = answered.Count; // what was answered when the wait returned
            }
        });
        Assert.True(await waiting.WaitAsync(Patience));
        release.Set();
        await waiter.WaitAsync(Patience);
        Assert.True(seen >= 1, "the wait for the first batch returned before it was answered");

        await Task.Run(() => flusher.BeforeNextBatch(second, () => false)).WaitAsync(Patience);
        lock (answered)
        {
            Assert.Equal(2, answered.Count);
        }

        Assert.Equal(2, Volatile.Read(ref flushes)); // the second batch was not answered by the flush under way
    }

    /// <summary>
    /// A writer waiting for its batch before last to be answered stops waiting when a person's unit arrives (the store's
    /// <c>goesFirst</c>, checked again on <see cref="CommitFlusher.Interrupt"/>): a person does not wait for a flush so that
    /// webhooks' batches fill. Without the interrupt the wait lasts the held flush (tried).
    /// </summary>
    [Fact]
    public async Task AWriterWaitingForAFlush_GoesOn_WhenSomethingThatGoesFirstArrives()
    {
        using var started = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        using var flusher = new CommitFlusher(
            "test-flush",
            () =>
            {
                started.Release();
                release.Wait(Patience);
            },
            (_, _) => { },
            (_, _) => { },
            failureLasts: false,
            oneBatchFlushing: true,
            NullLogger.Instance);
        var first = flusher.After([], enqueued: false);
        Assert.True(await started.WaitAsync(Patience), "the flush never started");

        var person = 0;
        var waiter = Task.Run(() => flusher.BeforeNextBatch(first, () => Volatile.Read(ref person) == 1));
        await Eventually.HoldsAsync(() => Task.FromResult(flusher.Waiters == 1), "the writer waiting for the held flush");
        Volatile.Write(ref person, 1);
        flusher.Interrupt();
        await waiter.WaitAsync(TimeSpan.FromSeconds(5)); // the flush still held (it gives up at 15 s)
        release.Set();
    }
}
