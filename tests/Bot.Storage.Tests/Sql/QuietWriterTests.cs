namespace Bot.Storage.Tests.Sql;

/// <summary>Runs alone (no other test of this process allocating meanwhile): it weighs what the process keeps.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone: measures the process's memory";
}

/// <summary>
/// A quiet bot's writers wait for work on several queues (people's, the shared one, their own groups'). Each wait used
/// to leave a waiter behind on every queue that stayed empty, until something was written to it: a quiet replica kept
/// ~4 KB a write (16 writers, each waiting on people's queue and its own again), a quiet SQLite bot ~200 bytes, until
/// someone pressed a button.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class QuietWriterTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task QuietWrites_OneAtATime_LeaveNothingBehind(bool postgres)
    {
        await using var t = TempStore.Create(postgres ? SqlEngine.Postgres : SqlEngine.Sqlite);
        for (var i = 0; i < 2_000; i++)
        {
            await t.Store.WriteAsync(_ => 0); // warm: the writers' connections and their statements
        }

        const int Writes = 20_000;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < Writes; i++)
        {
            await t.Store.WriteAsync(_ => 0); // each finds the writers idle, and leaves them waiting again
        }

        var kept = (GC.GetTotalMemory(forceFullCollection: true) - before) / (double)Writes;
        Assert.True(kept < 50, $"{kept:0} bytes kept a write");
    }
}
