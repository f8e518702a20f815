using Bot.TestKit;
using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using System.Data.Common;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sqlite;

/// <summary>SQLite's single writer, which batches many units per commit.</summary>
public sealed class SqliteIncidentStoreTests
{
    [Fact]
    public async Task WriteInteractive_CommitsAlone_BeforeTheBulkWorkQueuedWithIt()
    {
        await using var t = TempStore.Create(SqlEngine.Sqlite);
        using var gate = new ManualResetEventSlim();
        var busy = HoldTheWriter(t, gate);

        // 100 webhooks' units and one person's queue up behind the busy writer.
        Task<int>? person = null;
        var ranBeforeThePersonsCommit = 0;
        var bulk = Enumerable.Range(0, 100).Select(_ => t.Store.WriteAsync(s =>
        {
            if (!person!.IsCompleted)
            {
                ranBeforeThePersonsCommit++;
            }

            return 0;
        })).ToList();
        person = t.Store.WriteInteractiveAsync(s => 0);
        gate.Set();
        await Task.WhenAll(bulk.Append(busy).Append(person));

        // The person's batch held only their unit: it committed before any webhook's unit ran (no wait for a full batch).
        Assert.Equal(0, ranBeforeThePersonsCommit);
    }

    [Fact]
    public async Task WriteInteractive_CutsARunningBatchShort_TheRestRunsAfterTheirCommit()
    {
        await using var t = TempStore.Create(SqlEngine.Sqlite);
        using var gate = new ManualResetEventSlim();
        var blocker = HoldTheWriter(t, gate);

        // 100 webhooks' units queue up; the first of their batch holds the writer until a person's unit has arrived.
        using var secondGate = new ManualResetEventSlim();
        using var firstRunning = new ManualResetEventSlim();
        Task<int>? person = null;
        var ranBeforeThePersonsCommit = 0;
        var bulk = Enumerable.Range(0, 100).Select(i => t.Store.WriteAsync(s =>
        {
            if (i == 0)
            {
                firstRunning.Set();
                secondGate.Wait();
            }
            else if (!person!.IsCompleted)
            {
                ranBeforeThePersonsCommit++;
            }

            return 0;
        })).ToList();
        gate.Set();
        Assert.True(firstRunning.Wait(TimeSpan.FromSeconds(10)));
        person = t.Store.WriteInteractiveAsync(s => 0);
        secondGate.Set();
        await Task.WhenAll(bulk.Append(blocker).Append(person));

        // The batch stopped after the unit that was running: the other 99 ran after the person's commit, and all committed.
        Assert.Equal(0, ranBeforeThePersonsCommit);
        Assert.All(bulk, b => Assert.True(b.IsCompletedSuccessfully));
    }

    /// <summary>A unit that holds the writer until <paramref name="gate"/> opens; returns once it is running.</summary>
    private static Task<int> HoldTheWriter(TempStore t, ManualResetEventSlim gate)
    {
        using var running = new ManualResetEventSlim();
        var unit = t.Store.WriteAsync(s => { running.Set(); gate.Wait(); return 0; });
        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        return unit;
    }
}
