using System.Runtime.InteropServices;
using Bot.Storage.Sql;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Bot.Storage.Sqlite;

/// <summary>
/// Writes the pages a checkpoint copies into the database file back to disk while it copies them, a little at a time,
/// so that the checkpoint's own sync at its end (SQLite's, which alone makes them durable, as before) finds little left
/// to write. PostgreSQL's checkpointer does the same (<c>checkpoint_flush_after</c>).
/// <para>
/// Why: in a storm each checkpoint copies 40-60 MB of pages, and left to the checkpoint's sync they all reached the disk's
/// queue at once; the log's flush, which answers the webhooks (<see cref="Sql.CommitFlusher"/>), then waited behind them:
/// flushes of 40-63 ms every few seconds, each ending as a checkpoint ended. On this project's VM a 64 KB sync every 2 ms
/// waited up to 24 ms beside 48 MiB synced once a second, and at most 4 ms beside the same 48 MiB written back as it was
/// written (<c>tests/Bot.Benchmarks/disk-sync.py</c>); a storm's p99 went from 18-31 ms to 13-15 (docs/benchmarks.md).
/// </para>
/// <para>
/// Linux only (<c>sync_file_range</c>); elsewhere, or once a write-back failed, checkpoints run as SQLite runs them. The
/// database file is opened once and kept open until the store has closed its connections: closing a file descriptor
/// releases every POSIX lock the process holds on the file, SQLite's among them.
/// </para>
/// </summary>
internal sealed class CheckpointWriteback : IDisposable
{
    /// <summary>Between two write-backs: what the checkpoint copies meanwhile is the next one's share.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(1);

    private readonly Func<bool> _writeBack;
    private readonly SafeFileHandle? _file;
    private readonly ILogger _log;
    private readonly Task? _loop;
    private readonly SemaphoreSlim _checkpointStarted = new(0);
    private readonly ManualResetEventSlim _stopping = new(false);
    private int _running; // checkpoints running now (the background loop's, and the writer's as the log starts over)
    private long _writebacks;
    private volatile bool _failed;

    /// <param name="databasePath">The database file; null (an in-memory database): nothing to write back.</param>
    /// <param name="log">Where a write-back that failed is said, once.</param>
    /// <param name="writeBack">For tests: the write-back, in place of <c>sync_file_range</c> on the file.</param>
    public CheckpointWriteback(string? databasePath, ILogger log, Func<bool>? writeBack = null)
    {
        _log = log;
        if (writeBack is null)
        {
            if (!OperatingSystem.IsLinux() || string.IsNullOrEmpty(databasePath) || !File.Exists(databasePath))
            {
                _writeBack = static () => true;
                return;
            }

            try
            {
                _file = File.OpenHandle(databasePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _writeBack = static () => true;
                Fail(e.Message);
                return;
            }

            writeBack = WriteBackFile;
        }

        _writeBack = writeBack;
        _loop = OwnThread.Start("sqlite-checkpoint-writeback", Loop);
    }

    /// <summary>Whether checkpoints are written back as they copy (Linux, a database file, no write-back failed).</summary>
    public bool Active => _loop is not null && !_failed;

    /// <summary>Write-backs so far (for tests).</summary>
    public long Writebacks => Interlocked.Read(ref _writebacks);

    /// <summary>Runs a checkpoint, writing back what it copies as it goes.</summary>
    public T During<T>(Func<T> checkpoint)
    {
        if (!Active)
        {
            return checkpoint();
        }

        if (Interlocked.Increment(ref _running) == 1)
        {
            _checkpointStarted.Release();
        }

        try
        {
            return checkpoint();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private void Loop()
    {
        while (true)
        {
            _checkpointStarted.Wait();
            if (_stopping.IsSet)
            {
                return;
            }

            // A wake left by a checkpoint that ended before this loop took it finds none running: it waits again.
            while (Volatile.Read(ref _running) > 0 && !_failed)
            {
                try
                {
                    if (!_writeBack())
                    {
                        Fail($"errno {Marshal.GetLastPInvokeError()}");
                        break;
                    }

                    Interlocked.Increment(ref _writebacks);
                }
                catch (Exception e)
                {
                    Fail(e.Message);
                    break;
                }

                if (_stopping.Wait(Pause))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Stops writing back for good: SQLite's sync at each checkpoint's end still writes everything and says what failed
    /// (the checkpoint loop logs it). A write-back that fails says nothing of durability, only that this cannot help.
    /// </summary>
    private void Fail(string reason)
    {
        _failed = true;
        _log.LogWarning("Writing a checkpoint's pages back as it copies them failed ({Reason}); checkpoints go on without it, their ends syncing everything at once", reason);
    }

    /// <summary>
    /// Starts writing back every dirty page of the file and waits for it: what a checkpoint copied since the last call,
    /// so the disk's queue holds about one pause's copying at a time.
    /// </summary>
    private bool WriteBackFile()
    {
        var added = false;
        try
        {
            _file!.DangerousAddRef(ref added);
            return SyncFileRange((int)_file.DangerousGetHandle(), 0, 0, WaitBefore | Write | WaitAfter) == 0;
        }
        finally
        {
            if (added)
            {
                _file!.DangerousRelease();
            }
        }
    }

    private const uint WaitBefore = 1; // SYNC_FILE_RANGE_WAIT_BEFORE
    private const uint Write = 2; // SYNC_FILE_RANGE_WRITE
    private const uint WaitAfter = 4; // SYNC_FILE_RANGE_WAIT_AFTER

    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static extern int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    /// <summary>
    /// Stops the loop; closes the file. Call once the store's SQLite connections are closed (see the class). A write-back
    /// the disk never answers does not hold the store's disposal: the loop is left to end with it (the file is closed
    /// once it returns, the handle counted while in use).
    /// </summary>
    public void Dispose()
    {
        _stopping.Set();
        _checkpointStarted.Release();
        var ended = _loop is null || _loop.Wait(StopWait);
        _file?.Dispose();
        if (ended)
        {
            _checkpointStarted.Dispose();
            _stopping.Dispose();
        }
    }

    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(1);
}
