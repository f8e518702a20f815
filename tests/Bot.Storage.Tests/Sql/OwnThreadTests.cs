using Bot.Storage.Sql;

namespace Bot.Storage.Tests.Sql;

/// <summary>A store's blocking loop on a thread of its own (<see cref="OwnThread"/>): never the pool's, and its end awaited.</summary>
public sealed class OwnThreadTests
{
    [Fact]
    public async Task TheLoop_RunsOnANamedThreadOfItsOwn_AndItsTaskEndsWithIt()
    {
        (bool OnThePool, string? Name, bool Background) seen = default;
        await OwnThread.Start("store-loop", () => seen = (Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground));

        Assert.Equal((false, "store-loop", true), seen); // a background thread: a loop left running never keeps the process up
    }

    [Fact]
    public async Task ALoopThatThrows_FaultsItsTask_NotTheProcess()
    {
        var failure = new InvalidOperationException("the loop's own error");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => OwnThread.Start("store-loop", () => throw failure));

        Assert.Same(failure, thrown); // seen by whoever awaits the loop (the store's dispose), not an unhandled exception
    }
}
