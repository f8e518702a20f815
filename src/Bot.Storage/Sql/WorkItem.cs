using Bot.Core.Ports;
using Bot.Core.Store;

namespace Bot.Storage.Sql;

/// <summary>A unit of work waiting for the writer, and the caller waiting for its commit.</summary>
internal abstract class WorkItem
{
    /// <summary>
    /// The group of rows the work changes and the alerts it looks up, when its caller named them: a writer's batch runs
    /// such work in the groups' order, and reads a group's alerts once for all its units.
    /// </summary>
    public Affinity? Affinity { get; init; }

    /// <summary>The caller's trace (W3C traceparent), for the jobs the work enqueues.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Runs the work, then <paramref name="finish"/> (the session's last writes): a failure of either is the work's.</summary>
    public abstract void Run(IStoreSession session, Action finish);

    /// <summary>Called after the batch committed: hand the result (or the work's own exception) to the caller.</summary>
    public abstract void Committed();

    /// <summary>Called when the batch did not commit: nothing of this work was kept.</summary>
    public abstract void Abandoned(Exception error);
}

internal sealed class WorkItem<T>(Func<IStoreSession, T> work) : WorkItem
{
    private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private T? _result;
    private Exception? _error;

    public Task<T> Task => _done.Task;

    /// <summary>The work threw: nothing of it is kept; the rest of the batch goes on.</summary>
    public bool Failed => _error is not null;

    public override void Run(IStoreSession session, Action finish)
    {
        _error = null;
        try
        {
            _result = work(session);
            finish();
        }
        catch (Exception e)
        {
            _error = e;
            throw;
        }
    }

    public override void Committed()
    {
        if (_error is null)
        {
            _done.TrySetResult(_result!);
        }
        else
        {
            _done.TrySetException(_error);
        }
    }

    public override void Abandoned(Exception error) => _done.TrySetException(error);
}
