using System.Runtime.InteropServices;
using Bot.Storage.Sql;
using Microsoft.Win32.SafeHandles;

namespace Bot.Storage.Sqlite;

/// <summary>
/// Flushes SQLite's log file's data to disk: with <c>Synchronous = Full</c>, what makes the writer's commits durable
/// (<see cref="CommitFlusher"/>). SQLite holds no lock on its log file (its locks are on the database and its
/// shared-memory file), so opening and closing it here takes none of SQLite's locks away.
/// <para>
/// On Linux with <c>fdatasync</c>, as PostgreSQL syncs its log there: the data and the file's size, not its times. An
/// <c>fsync</c> also writes the time each append changed, so every flush waited for a commit of the file system's
/// journal, and ext4's journal commits wait in turn for the blocks newly given to any file to be written (the
/// database file, which a storm's checkpoints grow): beside a file growing 48 MiB a second, 31 syncs of a 64 KB log
/// over 20 ms in five minutes with <c>fsync</c>, 7 with <c>fdatasync</c> (<c>tests/Bot.Benchmarks/disk-sync.py</c>).
/// Where the C library has no <c>fdatasync</c> (or elsewhere than Linux), <see cref="RandomAccess.FlushToDisk"/>.
/// </para>
/// </summary>
internal sealed class LogFileSync
{
    private const int Interrupted = 4; // EINTR

    private readonly Func<int, int> _fdatasync;
    private readonly Action<SafeFileHandle> _fsync;
    private volatile bool _noDataSync;

    /// <param name="fdatasync">
    /// For tests: the C library's <c>fdatasync</c> (a file descriptor in, 0 or -1 with the error set out), or what throws as
    /// a missing one would.
    /// </param>
    /// <param name="fsync">For tests: <see cref="RandomAccess.FlushToDisk"/>, what syncs the file without it.</param>
    internal LogFileSync(Func<int, int> fdatasync, Action<SafeFileHandle>? fsync = null) =>
        (_fdatasync, _fsync) = (fdatasync, fsync ?? RandomAccess.FlushToDisk);

    /// <summary>The C library's.</summary>
    public static LogFileSync Default { get; } = new(FDataSync);

    /// <summary>Flushes the file at <paramref name="path"/>; none there is not an error. A failure is an <see cref="IOException"/>.</summary>
    public void Flush(string path)
    {
        try
        {
            using var log = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (!OperatingSystem.IsLinux() || !DataSync(log, path))
            {
                _fsync(log);
            }
        }
        catch (FileNotFoundException)
        {
            // no log: the last connection to close copied it into the database file, flushed that, and deleted it
        }
    }

    /// <summary>
    /// <c>fdatasync</c>, retried when a signal interrupts it; a failure is an <see cref="IOException"/>, as
    /// <see cref="RandomAccess.FlushToDisk"/>'s. False, and never tried again, where the C library has none to call.
    /// </summary>
    private bool DataSync(SafeFileHandle file, string path)
    {
        if (_noDataSync)
        {
            return false;
        }

        try
        {
            while (_fdatasync((int)file.DangerousGetHandle()) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error != Interrupted)
                {
                    throw new IOException($"fdatasync of {path} failed: {Marshal.GetPInvokeErrorMessage(error)}");
                }
            }

            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _noDataSync = true;
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(int fd);
}
