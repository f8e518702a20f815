using System.Diagnostics;
using Bot.Core.Telemetry;
using Bot.Storage.Sql;
using Microsoft.Extensions.Logging;

namespace Bot.Storage.Sqlite;

/// <summary>
/// Makes SQLite's commits durable in groups, off the writer's thread. The writer commits with <c>synchronous = NORMAL</c>
/// (its write-ahead log written, not flushed) and goes on with its next batch; this thread flushes the log to disk
/// (fsync) and then hands to their callers the units of every batch that committed before the flush began. So a webhook
/// is still answered only once its commit is on disk, and one flush serves every batch that committed while the last
/// one ran. With <c>synchronous = FULL</c> the writer waited for each flush itself: in a storm it sat idle a quarter of
/// the time, and the storm went a third faster without the flush (neither kept).
/// <para>
/// Sound because of two promises of SQLite's: a log written with <c>NORMAL</c> stays consistent through a power cut
/// (recovery keeps the commits whose frames are whole, in order, and drops the rest), and what a flush of the file
/// wrote is on disk when it returns. A checkpoint flushes the log itself before it copies it into the database, and
/// the log is only started over once all of it was copied, so no flush here can miss a commit it acknowledges.
/// </para>
/// </summary>
internal sealed class LogFlusher : IDisposable
{
    private readonly string _logPath;
    private readonly Action<List<WorkItem>, bool> _durable;
    private readonly Action<List<WorkItem>, Exception> _failed;
    private readonly Action<string> _flush;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private List<(List<WorkItem> Units, bool Enqueued)> _waiting = [];
    private List<(List<WorkItem> Units, bool Enqueued)> _flushing = [];
    private bool _stopping;
    private long _flushes;
    private Exception? _broken; // the first flush that failed: every later batch fails with it (see Loop)

    /// <param name="logPath">The database's write-ahead log (its path and <c>-wal</c>).</param>
    /// <param name="durable">Hands committed units to their callers, once flushed.</param>
    /// <param name="failed">Tells committed units' callers that their commit could not be flushed.</param>
    /// <param name="flush">Flushes the file (tests replace it); by default <see cref="FlushToDisk"/>.</param>
    public LogFlusher(
        string logPath, Action<List<WorkItem>, bool> durable, Action<List<WorkItem>, Exception> failed, Action<string>? flush, ILogger log)
    {
        (_logPath, _durable, _failed, _flush, _log) = (logPath, durable, failed, flush ?? FlushToDisk, log);
        _thread = new Thread(Loop) { IsBackground = true, Name = "sqlite-log-flush" };
        _thread.Start();
    }

    /// <summary>The flushes so far (each for one or more batches).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>A batch committed (its log written, not yet flushed): its units are handed over after the next flush.</summary>
    public void After(List<WorkItem> units, bool enqueued)
    {
        lock (_gate)
        {
            _waiting.Add((units, enqueued));
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>Flushes what is still waiting, hands it over, and stops (after the writers: nothing more comes).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }

        _thread.Join();
    }

    private void Loop()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_waiting.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_waiting.Count == 0)
                {
                    return;
                }

                (_flushing, _waiting) = (_waiting, _flushing); // what commits from now on waits for the next flush
            }

            // After a failed flush the log on disk is not known to hold what was written before it (Linux may drop the
            // pages a failed fsync could not write and report the next fsync clean), and recovery stops at the first
            // frame missing: a later commit flushed "successfully" could still be lost. So, as PostgreSQL stops, every
            // later batch fails too until the bot is restarted, and SQLite recovers from what the disk holds.
            var failure = _broken;
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (failure is null)
                {
                    _flush(_logPath);
                    Interlocked.Increment(ref _flushes);
                    BotTelemetry.LogFlushDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
            catch (Exception e)
            {
                _broken = failure = e;
                _log.LogCritical(e, "The store's log could not be flushed to disk: every write fails from now on, until the bot is restarted");
            }

            foreach (var (units, enqueued) in _flushing)
            {
                try
                {
                    if (failure is null)
                    {
                        _durable(units, enqueued);
                    }
                    else
                    {
                        _failed(units, failure);
                    }
                }
                catch (Exception e)
                {
                    _log.LogError(e, "Handing {Count} committed units to their callers failed", units.Count); // the others still go
                }
            }

            _flushing.Clear();
        }
    }

    /// <summary>
    /// Flushes the file's data to disk (fsync). SQLite holds no lock on its log file (its locks are on the database and
    /// its shared-memory file), so opening and closing it here takes none of SQLite's locks away.
    /// </summary>
    internal static void FlushToDisk(string path)
    {
        try
        {
            using var log = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(log);
        }
        catch (FileNotFoundException)
        {
            // no log: the last connection to close copied it into the database file, flushed that, and deleted it
        }
    }
}
