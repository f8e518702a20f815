using Bot.Core.Ports;
using Bot.Storage.Sqlite;
using Bot.TestKit;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// SQLite with <c>Synchronous = Full</c> (the default): the writer commits without flushing its log, and a thread of its
/// own flushes it before the batch's callers are answered (<see cref="CommitFlusher"/>). The flush is held or failed here
/// (<see cref="StorageOptions.SqliteLogFlush"/>), and then done for real.
/// </summary>
public sealed class SqliteLogFlushTests
{
    private static readonly DateTimeOffset T0 = TestStore.Start;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AWebhooksCaller_IsAnsweredOnlyOnceTheLogHoldingItsCommitIsFlushed()
    {
        var flush = new HeldFlush();
        await using var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteLogFlush = flush.Flush);
        var signalled = 0;
        t.Sql.JobsEnqueued += () => Interlocked.Increment(ref signalled);

        var ingest = t.IngestAsync(Batch("db", Firing("a1", T0)));
        await flush.StartedAsync();

        // Committed (another connection reads it) and being flushed: not answered yet, nor its jobs (the new incident's
        // channel, ...) handed to the outbox's runner (answered before the flush, this fails: tried).
        Assert.NotNull(await t.Store.GetIncidentAsync(1));
        Assert.False(ingest.IsCompleted, "the webhook was answered before its commit was flushed to disk");
        Assert.Equal(0, Volatile.Read(ref signalled));

        flush.Release();
        Assert.Equal("INC-1", Assert.Single((await ingest.WaitAsync(Patience)).Opened));
        Assert.Equal(1, Volatile.Read(ref signalled));
        Assert.Equal(Path.Combine(t.Folder, "bot.db-wal"), Assert.Single(flush.Paths.Distinct()));
        Assert.True(File.Exists(flush.Paths[0]), "the flush was of a file that is not there");
    }

    [Fact]
    public async Task OneFlush_AnswersEveryBatchThatCommittedWhileTheLastOneRan()
    {
        var flush = new HeldFlush();
        await using var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteLogFlush = flush.Flush);
        var store = (SqliteIncidentStore)t.Sql;

        var first = t.IngestAsync(Batch("db", Firing("a1", T0)));
        await flush.StartedAsync();
        var others = Enumerable.Range(2, 3).Select(i => t.IngestAsync(Batch($"group-{i}", Firing($"a{i}", T0)))).ToList();
        await Eventually.HoldsAsync(async () => await t.Store.GetIncidentAsync(4) is not null, "the three webhooks after the first committed");
        Assert.DoesNotContain(others, o => o.IsCompleted);

        flush.Release();
        await Task.WhenAll([first, .. others]).WaitAsync(Patience);
        Assert.Equal(2, store.Flushes); // the first batch's, then one for the three that committed meanwhile
    }

    /// <summary>
    /// A failed flush fails its callers as a failed commit would, and every write after it until the bot restarts: the
    /// log on disk is not known to hold what was written before a failed fsync (Linux may drop those pages and report
    /// the next fsync clean), and recovery stops at the first frame missing, so a later flush's word is worth nothing.
    /// </summary>
    [Fact]
    public async Task AFlushThatFails_FailsItsCallers_AndEveryWriteAfterIt_UntilTheStoreIsOpenedAgain()
    {
        var failing = 1;
        var flushes = 0;
        await using var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteLogFlush = path =>
        {
            Interlocked.Increment(ref flushes);
            if (Volatile.Read(ref failing) == 1)
            {
                throw new IOException("Input/output error");
            }

            LogFileSync.Default.Flush(path);
        });

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => t.IngestAsync(Batch("db", Firing("a1", T0))));
        Assert.Contains("could not flush its commit to disk: Input/output error", error.Message);

        // The disk answers again: not trusted (answered, this fails: tried).
        Volatile.Write(ref failing, 0);
        error = await Assert.ThrowsAsync<StoreUnavailableException>(() => t.IngestAsync(Batch("db", Firing("a2", T0))));
        Assert.Contains("Input/output error", error.Message);
        Assert.Equal(1, Volatile.Read(ref flushes)); // no flush was tried again

        await t.ReopenAsync(); // a restart: SQLite recovers from what the disk holds (here, all of it)
        var again = await t.IngestAsync(Batch("db", Firing("a1", T0), Firing("a3", T0)));
        Assert.Empty(again.Opened); // the first commit was kept by the disk here: the retry joins its incident
        Assert.Equal(3, (await t.Store.GetIncidentAsync(1))!.AlertCount);
    }

    [Fact]
    public async Task ClosingTheStore_AnswersTheWebhooksWhoseFlushIsUnderWay()
    {
        var flush = new HeldFlush();
        var t = TempStore.Create(SqlEngine.Sqlite, configure: o => o.SqliteLogFlush = flush.Flush);
        try
        {
            var ingest = t.IngestAsync(Batch("db", Firing("a1", T0)));
            await flush.StartedAsync();
            var closing = t.Sql.DisposeAsync().AsTask();
            Assert.False(ingest.IsCompleted);

            flush.Release();
            await closing.WaitAsync(Patience);
            Assert.Equal("INC-1", Assert.Single((await ingest.WaitAsync(Patience)).Opened));
        }
        finally
        {
            await t.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheDefaultFlush_FlushesTheRealLog_AndSynchronousNormal_FlushesNothing()
    {
        await using (var full = TempStore.Create(SqlEngine.Sqlite))
        {
            await full.IngestAsync(Batch("db", Firing("a1", T0)));
            Assert.True(((SqliteIncidentStore)full.Sql).Flushes >= 1);
        }

        var flushes = 0;
        await using var normal = TempStore.Create(SqlEngine.Sqlite, configure: o =>
        {
            o.Synchronous = "Normal";
            o.SqliteLogFlush = _ => Interlocked.Increment(ref flushes);
        });
        await normal.IngestAsync(Batch("db", Firing("a1", T0)));
        Assert.Equal((0, 0L), (flushes, ((SqliteIncidentStore)normal.Sql).Flushes));
    }

    [Fact]
    public void FlushingALogThatIsNotThere_IsNotAnError()
    {
        // The last connection to close copies the log into the database, flushes that, and deletes the log.
        LogFileSync.Default.Flush(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("n") + "-wal"));
    }
}
