using System.Diagnostics;
using Bot.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace Bot.Storage.Sql;

/// <summary>
/// Makes the writers' commits durable in groups, off their threads. A writer commits without waiting for the store's log
/// to reach the disk and goes on with its next batch; this thread then makes the log durable (<see cref="_flush"/>) and
/// hands to their callers the units of every batch that committed before that began. So a webhook is still answered
/// only once its commit is on disk, one flush serves every batch that committed while the last one ran, and no writer
/// sits idle through a flush, nor holds its locks through one.
/// <list type="bullet">
/// <item>SQLite (<c>Synchronous = Full</c>): the writer commits with <c>synchronous = NORMAL</c> (its log written, not
/// flushed) and the flush is an fsync of the log file (<see cref="Sqlite.SqliteIncidentStore"/>). Waiting for each flush
/// itself, the writer sat idle a quarter of a storm.</item>
/// <item>PostgreSQL: the writers commit with <c>synchronous_commit = off</c> (the commit's record in the log, the log not
/// yet flushed) and the flush is a transaction of its own, with the server's setting, that writes a record after theirs
/// and so waits for the log to be flushed past them (<see cref="Postgres.PostgresIncidentStore"/>). Waiting for each flush
/// itself, a writer held its incidents' row locks through it: one storm's batches ran one flush apart.</item>
/// </list>
/// <para>
/// What a flush answers is decided before it starts: the batches handed over while it runs wait for the next one, since
/// the log it makes durable may end before their commits.
/// </para>
/// <para>
/// A writer may wait for its batch before last to be answered before it takes its next one (<see cref="BeforeNextBatch"/>;
/// PostgreSQL's do): it then runs one batch while the one before it is flushed, and what arrives meanwhile makes its next
/// batch, as when it waited for each flush itself. Never waiting, a writer takes what has arrived as soon as it is free,
/// in smaller batches, and a batch costs its statements and its commit whatever its size (two replicas on one machine
/// took 2,652 webhooks/s against 3,608 in one run so; not measured further). A person's unit does not wait so: it stops
/// the wait (<see cref="Interrupt"/>).
/// </para>
/// </summary>
internal sealed class CommitFlusher : IDisposable
{
    private readonly Action _flush;
    private readonly Action<List<WorkItem>, bool> _durable;
    private readonly Action<List<WorkItem>, Exception> _failed;
    private readonly bool _failureLasts;
    private readonly bool _oneBatchFlushing;
    private readonly ILogger _log;
    private readonly Task _loop;
    private readonly object _gate = new();
    private List<(List<WorkItem> Units, bool Enqueued)> _waiting = [];
    private List<(List<WorkItem> Units, bool Enqueued)> _flushing = [];
    private bool _stopping;
    private long _handed; // batches handed over so far: each one's ticket
    private long _answered; // the batches up to this ticket are answered (durable, or failed)
    private int _waiters;
    private long _flushes;
    private Exception? _broken; // where a failure lasts, the first flush that failed: every later batch fails with it

    /// <param name="name">The thread's name.</param>
    /// <param name="flush">Makes every commit before it durable; throws where it could not.</param>
    /// <param name="durable">Hands committed units to their callers, once flushed.</param>
    /// <param name="failed">Tells committed units' callers that their commit could not be made durable.</param>
    /// <param name="failureLasts">
    /// Whether one failed flush fails every later batch too (SQLite: see <see cref="Loop"/>); otherwise the next flush is
    /// tried afresh (PostgreSQL: the server that failed it may be back, and decides for itself what it kept).
    /// </param>
    /// <param name="oneBatchFlushing">
    /// Whether a writer takes its next batch only once its batch before last was answered (<see cref="BeforeNextBatch"/>):
    /// at most one of its batches flushing while it runs the next (PostgreSQL's writers). Otherwise (SQLite's one writer)
    /// it never waits.
    /// </param>
    public CommitFlusher(
        string name,
        Action flush,
        Action<List<WorkItem>, bool> durable,
        Action<List<WorkItem>, Exception> failed,
        bool failureLasts,
        bool oneBatchFlushing,
        ILogger log)
    {
        (_flush, _durable, _failed, _failureLasts, _oneBatchFlushing, _log) = (flush, durable, failed, failureLasts, oneBatchFlushing, log);
        _loop = OwnThread.Start(name, Loop);
    }

    /// <summary>The flushes so far (each for one or more batches).</summary>
    public long Flushes => Interlocked.Read(ref _flushes);

    /// <summary>
    /// A batch committed (not yet durable): its units are handed over after the next flush. Returns its ticket (see
    /// <see cref="WaitFor"/>).
    /// </summary>
    public long After(List<WorkItem> units, bool enqueued)
    {
        lock (_gate)
        {
            _waiting.Add((units, enqueued));
            Monitor.PulseAll(_gate); // the flusher, and no writer (nothing they wait for changed)
            return ++_handed;
        }
    }

    /// <summary>
    /// A writer is about to take its next batch; <paramref name="ticketBeforeLast"/> is that of its batch before last (0:
    /// none). Where one batch of a writer's flushes at a time, blocks until that one was answered, or until
    /// <paramref name="goesFirst"/> holds (checked again on <see cref="Interrupt"/>): what arrives meanwhile joins the
    /// batch, but a person's unit does not wait for fuller batches.
    /// </summary>
    public void BeforeNextBatch(long ticketBeforeLast, Func<bool> goesFirst)
    {
        if (_oneBatchFlushing)
        {
            WaitFor(ticketBeforeLast, goesFirst);
        }
    }

    /// <summary>Something a waiting writer takes before all else has arrived: it checks (<see cref="BeforeNextBatch"/>).</summary>
    public void Interrupt()
    {
        lock (_gate)
        {
            if (_waiters > 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Blocks until the batch of <paramref name="ticket"/> (and every one before it) was answered; 0: none.</summary>
    private void WaitFor(long ticket, Func<bool> goesFirst)
    {
        lock (_gate)
        {
            while (_answered < ticket && !_stopping && !goesFirst())
            {
                _waiters++;
                Monitor.Wait(_gate);
                _waiters--;
            }
        }
    }

    /// <summary>How many writers wait in <see cref="BeforeNextBatch"/> now (for tests).</summary>
    internal int Waiters
    {
        get
        {
            lock (_gate)
            {
                return _waiters;
            }
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

        _loop.GetAwaiter().GetResult();
    }

    private void Loop()
    {
        long answering;
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
                answering = _handed;
            }

            // After a failed flush of SQLite's log the file on disk is not known to hold what was written before it (Linux
            // may drop the pages a failed fsync could not write and report the next fsync clean), and recovery stops at the
            // first frame missing: a later commit flushed "successfully" could still be lost. So, as PostgreSQL stops, every
            // later batch fails too until the bot is restarted, and SQLite recovers from what the disk holds.
            var failure = _broken;
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (failure is null)
                {
                    _flush();
                    Interlocked.Increment(ref _flushes);
                    BotTelemetry.LogFlushDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
            catch (Exception e)
            {
                failure = e;
                if (_failureLasts)
                {
                    _broken = e;
                    _log.LogCritical(e, "The store's log could not be flushed to disk: every write fails from now on, until the bot is restarted");
                }
                else
                {
                    _log.LogError(e, "The store could not make {Count} committed batches durable: their callers are told it failed", _flushing.Count);
                }
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
            lock (_gate)
            {
                _answered = answering;
                Monitor.PulseAll(_gate); // the writers waiting for these batches
            }
        }
    }
}
