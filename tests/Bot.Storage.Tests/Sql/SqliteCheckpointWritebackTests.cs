using Bot.Storage.Sqlite;
using Bot.TestKit;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The pages a checkpoint copies into the database file are written back to disk while it copies them, on a thread of
/// their own (<see cref="CheckpointWriteback"/>): for real on this machine's Linux, then held or failed
/// (<see cref="StorageOptions.SqliteCheckpointWriteback"/>), which must never hold a checkpoint up nor lose a write.
/// </summary>
public sealed class SqliteCheckpointWritebackTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ACheckpointsPages_AreWrittenBackAsItCopiesThem_ByLinuxsOwnCall()
    {
        await using var t = Storing(writeBack: null);
        var store = (SqliteIncidentStore)t.Sql;
        Assert.True(OperatingSystem.IsLinux(), "the bot's SQLite store writes checkpoints back on Linux; this test runs there");
        Assert.True(store.Writeback.Active, "no write-back for a database in a file");

        var storm = new Storm(t);
        await using (storm)
        {
            // sync_file_range on the database file answered (a wrong declaration, or the call refused, stops the
            // write-back for good: Active false).
            await Eventually.HoldsAsync(() => Task.FromResult(store.Writeback.Writebacks > 0), "a write-back during a checkpoint", Patience);
        }

        Assert.True(store.Writeback.Active, "the write-back failed on a database file of this machine");
        await AssertEveryAlertKeptAsync(t, storm);
    }

    /// <summary>
    /// Only while a checkpoint runs: between two, however long, nothing is written back (the thread waits for the next
    /// checkpoint; writing back all the time, it would call ~1,000 times a second).
    /// </summary>
    [Fact]
    public async Task BetweenCheckpoints_NothingIsWrittenBack()
    {
        var calls = 0;
        await using var t = Storing(() =>
        {
            Interlocked.Increment(ref calls);
            return true;
        });
        var store = (SqliteIncidentStore)t.Sql;
        var storm = new Storm(t);
        await using (storm)
        {
            await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref calls) > 0), "a write-back during a checkpoint", Patience);
        }

        // The writes over, the loop's passes come a second apart, each a checkpoint of next to nothing.
        var (passes, before) = (store.CheckpointPasses, Volatile.Read(ref calls));
        await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses >= passes + 3), "three passes of the loop", Patience);
        Assert.True(Volatile.Read(ref calls) - before <= 3 * 20, $"{Volatile.Read(ref calls) - before} write-backs over three passes of an idle store");
        await AssertEveryAlertKeptAsync(t, storm);
    }

    [Fact]
    public async Task AWritebackThatHangs_HoldsNoCheckpointUp_NorAnyWrite_NorTheStoresDisposal()
    {
        using var held = new ManualResetEventSlim(false);
        var calls = 0;
        var t = Storing(() =>
        {
            Interlocked.Increment(ref calls);
            held.Wait(); // a disk that never answers this thread
            return true;
        });
        var disposing = false;
        try
        {
            var store = (SqliteIncidentStore)t.Sql;
            var storm = new Storm(t);
            await using (storm)
            {
                await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref calls) == 1), "a write-back started", Patience);
                var passes = store.CheckpointPasses;

                // Done on the checkpoint's own thread, the write-back would hold every later pass.
                await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses >= passes + 3), "three passes of the loop while a write-back hangs", Patience);
                await storm.WebhooksAnsweredAsync(3);
                Assert.Equal(1, Volatile.Read(ref calls));
            }

            await AssertEveryAlertKeptAsync(t, storm);
            var disposal = t.DisposeAsync().AsTask();
            disposing = true;
            await disposal.WaitAsync(Patience); // waiting for the hung thread, this hung (tried)
        }
        finally
        {
            held.Set();
            if (!disposing)
            {
                await t.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AWritebackThatFails_StopsForGood_AndCheckpointsGoOnAsSQLiteRunsThem()
    {
        var calls = 0;
        await using var t = Storing(() =>
        {
            Interlocked.Increment(ref calls);
            return false; // EIO, say
        });
        var store = (SqliteIncidentStore)t.Sql;

        var storm = new Storm(t);
        await using (storm)
        {
            await Eventually.HoldsAsync(() => Task.FromResult(!store.Writeback.Active), "the write-back given up", Patience);
            var passes = store.CheckpointPasses;
            await Eventually.HoldsAsync(() => Task.FromResult(store.CheckpointPasses >= passes + 3), "three passes of the loop after it", Patience);
            await storm.WebhooksAnsweredAsync(3);
        }

        Assert.Equal(1, Volatile.Read(ref calls)); // tried once, never again: nothing to spin on
        await AssertEveryAlertKeptAsync(t, storm);
    }

    /// <summary>A SQLite store whose log starts over past 256 KiB (checkpoints often), its write-back <paramref name="writeBack"/> (null: the real one).</summary>
    private static TempStore Storing(Func<bool>? writeBack) => TempStore.Create(SqlEngine.Sqlite, configure: o =>
    {
        o.SqliteWalResetFrames = 64;
        o.SqliteCheckpointWriteback = writeBack;
    });

    private static async Task AssertEveryAlertKeptAsync(TempStore t, Storm storm)
    {
        var incident = (await t.Store.GetIncidentAsync(1))!;
        Assert.Equal((storm.Sent, storm.Sent), (incident.AlertCount, incident.FiringCount));
    }

    /// <summary>Webhooks of new alerts (hashed, so their keys change pages all over) queued behind each other until disposed.</summary>
    private sealed class Storm : IAsyncDisposable
    {
        private readonly TempStore _store;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;
        private long _answered;

        public Storm(TempStore store)
        {
            _store = store;
            _running = Task.Run(RunAsync);
        }

        public long Answered => Interlocked.Read(ref _answered);

        /// <summary>Waits until <paramref name="count"/> more webhooks are answered from now.</summary>
        public Task WebhooksAnsweredAsync(int count)
        {
            var from = Answered;
            return Eventually.HoldsAsync(() => Task.FromResult(Answered >= from + count), $"{count} more webhooks answered", Patience);
        }

        private async Task RunAsync()
        {
            var n = 0;
            var inFlight = new Queue<Task>();
            while (!_stop.IsCancellationRequested)
            {
                while (inFlight.Count < 8)
                {
                    var alerts = Enumerable.Range(n, 20).Select(i => Firing(HashedFingerprint(i), TestStore.Start)).ToArray();
                    n += alerts.Length;
                    inFlight.Enqueue(_store.IngestAsync(Batch("storm", alerts)));
                }

                await inFlight.Dequeue();
                Interlocked.Increment(ref _answered);
            }

            await Task.WhenAll(inFlight);
            Interlocked.Add(ref _answered, inFlight.Count);
            Sent = n;
        }

        public int Sent { get; private set; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            _stop.Dispose();
        }
    }
}
