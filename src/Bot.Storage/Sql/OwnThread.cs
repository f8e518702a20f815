namespace Bot.Storage.Sql;

/// <summary>
/// A store's loop that blocks for long (a writer's batches, a checkpoint's copy and sync, the log's flushes, their
/// write-back) on a named background thread of its own, never on one of the thread pool's: a runtime that counts one CPU
/// starts its pool with one thread, and the webhooks' answers wait for the pool.
/// </summary>
internal static class OwnThread
{
    /// <summary>Starts <paramref name="loop"/> on a thread named <paramref name="name"/>; the task ends as the loop returns (faulted if it threw).</summary>
    public static Task Start(string name, Action loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                loop();
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return done.Task;
    }
}
