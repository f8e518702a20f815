using Bot.Core.Ports;

namespace Bot.TestKit;

/// <summary>
/// A store's writer (the one of a group's affinity) held on a unit that waits, so that the units queued meanwhile run as
/// one batch when it lets go.
/// </summary>
public sealed class HeldWriter : IDisposable
{
    private readonly ManualResetEventSlim _hold = new();
    private Task _held = Task.CompletedTask;

    private HeldWriter()
    {
    }

    /// <summary>Holds the writer of <paramref name="affinity"/>'s group; returns once its unit runs.</summary>
    public static Task<HeldWriter> HoldAsync<TSession>(IUnitOfWork<TSession> store, Affinity affinity)
        where TSession : ISession => HoldAsync<TSession>(work => store.WriteAsync(work, affinity));

    /// <summary>Holds a writer on a unit of no group (as a job's); returns once its unit runs.</summary>
    public static Task<HeldWriter> HoldAsync<TSession>(IUnitOfWork<TSession> store)
        where TSession : ISession => HoldAsync<TSession>(work => store.WriteAsync(work));

    private static async Task<HeldWriter> HoldAsync<TSession>(Func<Func<TSession, int>, Task<int>> write)
    {
        var writer = new HeldWriter();
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        writer._held = write(_ => { holding.SetResult(); writer._hold.Wait(); return 0; });
        await holding.Task;
        return writer;
    }

    /// <summary>Lets the writer go and waits for the held unit's commit.</summary>
    public async Task ReleaseAsync()
    {
        _hold.Set();
        await _held;
    }

    public void Dispose()
    {
        _hold.Set(); // a test that failed before letting go does not leave the writer held
        _hold.Dispose();
    }
}
