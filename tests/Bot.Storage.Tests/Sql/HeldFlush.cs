using Bot.Storage.Sqlite;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// A store's flush that waits for the test's word the first time (and says it started), then flushes for real: SQLite's
/// log file (<see cref="StorageOptions.SqliteLogFlush"/>, the paths it was given kept) or PostgreSQL's flush
/// (<see cref="StorageOptions.PostgresCommitFlush"/>).
/// </summary>
internal sealed class HeldFlush
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly SemaphoreSlim _started = new(0);
    private readonly ManualResetEventSlim _released = new();
    private int _calls;

    public List<string> Paths { get; } = [];

    public void Flush(string path)
    {
        lock (Paths)
        {
            Paths.Add(path);
        }

        HoldTheFirst();
        LogFileSync.Default.Flush(path);
    }

    public void Flush(Action flush)
    {
        HoldTheFirst();
        flush();
    }

    public async Task StartedAsync() => Assert.True(await _started.WaitAsync(Patience), "the first flush never started");

    public void Release() => _released.Set();

    private void HoldTheFirst()
    {
        if (Interlocked.Increment(ref _calls) == 1)
        {
            _started.Release();
            _released.Wait(Patience);
        }
    }
}
