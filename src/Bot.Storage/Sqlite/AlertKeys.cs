using System.IO.Hashing;
using System.Runtime.InteropServices;
using Bot.Storage.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Bot.Storage.Sqlite;

/// <summary>
/// The alerts' key (<c>alert_keys</c>: incident, the fingerprint's hash, the alert's id) written in bulk, in its order,
/// instead of an alert at a time. Alertmanager's fingerprints are hashes, so each new alert's key landed on a random page
/// of the key's B-tree, and SQLite logs every page a commit changed whole (4 KB) and copies it again when it
/// checkpoints: a storm's batch of ~100 new alerts changed ~100 pages of a key of 7,000 (a million alerts), two thirds
/// of its writer's time (the store benchmark, a storm with hashed fingerprints: 9,000 webhooks/s in process with the key
/// kept by each insert, 25,000 without a key at all).
/// <para>
/// A new alert's row is appended (its id the table's next) and its key kept here, in memory, where the writer's lookups
/// ask first. When a generation of keys has gathered, it is frozen, sorted in the key's order (off the writer's thread),
/// and merged into <c>alert_keys</c> a slice of consecutive keys at a time between two batches, in a transaction of its
/// own on the writer's connection: a slice lands on the few pages its key range covers, so each page of the key is
/// written about once a generation, not once for each alert that lands on it. A slice's keys leave memory once it
/// commits; lookups then find them in the table.
/// </para>
/// <para>
/// The table keys a fingerprint by its 64-bit hash (<see cref="Hash"/>, XXH3 of its UTF-16 code units, for good: it is
/// stored), so that memory holds no string: a key is its hash, incident and id in arrays (~36 bytes, nothing for the
/// collector to follow; held as strings, two generations took ~20 MiB more at a storm's peak, and the fingerprints read
/// back to sort a generation ~40). A key found by its hash is a candidate: the lookups check the row's fingerprint, and
/// try the next candidate should two fingerprints ever share a hash (the table's key holds the id too, so both fit).
/// </para>
/// <para>
/// What a restart finds: <c>alert_keys_merged</c> holds the id up to which every alert's key is in the table (moved by
/// the commit of a generation's last slice), and <see cref="Load"/> reads the keys of the alerts after it back from their
/// rows (at most two generations). Their merge may meet keys that a slice committed before the restart: those are
/// skipped. Nothing but the writer inserts alerts, and alerts are never deleted.
/// </para>
/// </summary>
internal sealed class AlertKeys(int generation, int slice, Func<string, long>? hash, ILogger log) : IAlertKeys
{
    /// <summary>The keys that gather before they are merged: more write fewer pages an alert, and hold more memory.</summary>
    public const int DefaultGeneration = 32_768;

    /// <summary>The keys one step merges at least, between two batches (twice the keys committed since the last step at most, so that merges keep ahead of inserts).</summary>
    public const int DefaultSlice = 256;

    private const int MaxRows = 64; // a statement's rows of VALUES

    private struct Entry
    {
        public long Hash;
        public long Incident;
        public long Id; // -1: free
        public int Next; // the next entry of the bucket (or of the free list), or -1
    }

    /// <summary>The statement that merges 1 to <see cref="MaxRows"/> keys, one text per row count (each prepared once).</summary>
    private static readonly string[] MergeSql = [.. Enumerable.Range(1, MaxRows).Select(rows =>
        "INSERT INTO alert_keys (incident_number, fingerprint_hash, alert_id) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(i => $"(@n{i}, @h{i}, @i{i})")) +
        " ON CONFLICT DO NOTHING")];

    private static readonly string[][] MergeParameters = [.. Enumerable.Range(0, MaxRows).Select(i => new[] { $"@n{i}", $"@h{i}", $"@i{i}" })];

    private static readonly Comparison<Entry> KeyOrder = static (a, b) =>
        a.Incident != b.Incident ? a.Incident.CompareTo(b.Incident)
        : a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash)
        : a.Id.CompareTo(b.Id);

    private Entry[] _entries = new Entry[1024];
    private int[] _buckets = NewBuckets(1024); // the first entry of each bucket, or -1
    private int _used; // entries ever used (those below it and not free are held)
    private int _free = -1;
    private readonly List<(long Hash, long Id)> _staged = []; // inserted by the open transaction
    private long _fresh; // committed keys not yet frozen: every alert after _frozenUpTo
    private int _sinceStep; // keys committed since the last merge step
    private long _lastId; // the last committed alert's id
    private long _frozenUpTo; // the last frozen generation's last id (MergedUpTo once it is merged)
    private Entry[] _generation = []; // the frozen generation (reused), in the key's order once _sorting is done
    private int _generationLength;
    private Task? _sorting;
    private int _merged = -1; // of the frozen generation; -1: none being merged
    private bool _failing;

    /// <summary>The keys held in memory (the store's gauge reads it from the scrape's thread: a moment's value).</summary>
    internal int Held { get; private set; }

    /// <summary>Merge steps that failed so far (the store's counter).</summary>
    internal long MergeFailures => Interlocked.Read(ref _mergeFailures);

    private long _mergeFailures;

    /// <summary>Every alert up to this id has its key in <c>alert_keys</c>.</summary>
    internal long MergedUpTo { get; private set; }

    /// <summary>Slices merged so far (for tests).</summary>
    internal long Slices { get; private set; }

    private readonly Func<string, long> _hash = hash ?? Hash;

    /// <summary>A fingerprint's hash as the key table stores it.</summary>
    public static long Hash(string fingerprint) => unchecked((long)XxHash3.HashToUInt64(MemoryMarshal.AsBytes(fingerprint.AsSpan())));

    long IAlertKeys.Hash(string fingerprint) => _hash(fingerprint);

    /// <summary>Reads where the merge stands, and the keys of the alerts written after it, from their rows.</summary>
    public void Load(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT upto FROM alert_keys_merged";
        MergedUpTo = _frozenUpTo = _lastId = Convert.ToInt64(command.ExecuteScalar());
        command.CommandText = "SELECT id, incident_number, fingerprint FROM alerts WHERE id > @w ORDER BY id";
        command.Parameters.AddWithValue("@w", MergedUpTo);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _lastId = reader.GetInt64(0);
            Hold(_hash(reader.GetString(2)), reader.GetInt64(1), _lastId);
            _fresh++;
        }
    }

    public long? Find(long incident, long hash, ref int after)
    {
        var at = after < 0 ? _buckets[Bucket(hash)] : _entries[after].Next;
        for (; at >= 0; at = _entries[at].Next)
        {
            if (_entries[at].Hash == hash && _entries[at].Incident == incident)
            {
                after = at;
                return _entries[at].Id;
            }
        }

        return null;
    }

    public string Lately(long hash)
    {
        var ids = new List<long>();
        for (var at = _buckets[Bucket(hash)]; at >= 0; at = _entries[at].Next)
        {
            if (_entries[at].Hash == hash)
            {
                ids.Add(_entries[at].Id);
            }
        }

        return $"[{string.Join(",", ids)}]";
    }

    public void Inserted(long incident, long hash, long id)
    {
        Hold(hash, incident, id);
        _staged.Add((hash, id));
    }

    public void Committed()
    {
        if (_staged.Count > 0)
        {
            _lastId = _staged[^1].Id; // the table's next ids, in the order they were taken
        }

        _fresh += _staged.Count;
        _sinceStep += _staged.Count;
        _staged.Clear();
    }

    public void Undone()
    {
        foreach (var (hash, id) in _staged)
        {
            Drop(hash, id);
        }

        _staged.Clear();
    }

    /// <summary>
    /// Between two batches: merges the next slice of the frozen generation into the table, or freezes one when enough
    /// keys have gathered. A failure is logged and the slice tried again after the next batch: the keys stay in memory
    /// meanwhile, so lookups still find them. A slice cut short when <paramref name="personWaits"/> (a person's unit
    /// queued: a slice took 4-18 ms beside a storm's requests on two cores) commits what it merged.
    /// </summary>
    public void MergeStep(SqliteConnection connection, IDirectStatements direct, Func<bool> personWaits)
    {
        var committed = _sinceStep;
        _sinceStep = 0;
        if (!Merging())
        {
            return;
        }

        var end = Math.Min(_generationLength, _merged + Math.Max(slice, 2 * committed));
        bool last;
        try
        {
            using var tx = connection.BeginTransaction();
            for (var at = _merged; at < end; at += MaxRows)
            {
                var rows = Math.Min(MaxRows, end - at);
                var args = new (string Name, object Value)[rows * 3];
                for (var i = 0; i < rows; i++)
                {
                    ref readonly var key = ref _generation[at + i];
                    var names = MergeParameters[i];
                    args[i * 3] = (names[0], key.Incident);
                    args[(i * 3) + 1] = (names[1], key.Hash);
                    args[(i * 3) + 2] = (names[2], key.Id);
                }

                direct.Execute(MergeSql[rows - 1], args);
                if (at + rows < end && personWaits())
                {
                    end = at + rows;
                }
            }

            last = end == _generationLength;
            if (last)
            {
                direct.Execute("UPDATE alert_keys_merged SET upto = @upto", [("@upto", _frozenUpTo)]);
            }

            tx.Commit();
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            Interlocked.Increment(ref _mergeFailures);
            if (!_failing)
            {
                log.LogWarning(e, "Merging {Count} alert keys into alert_keys failed (tried again after the next batch; they stay in memory meanwhile)", end - _merged);
                _failing = true;
            }

            return;
        }

        _failing = false;
        for (var i = _merged; i < end; i++)
        {
            Drop(_generation[i].Hash, _generation[i].Id);
        }

        _merged = end;
        Slices++;
        if (last)
        {
            MergedUpTo = _frozenUpTo;
            _merged = -1;
        }
    }

    /// <summary>Whether a frozen generation is sorted and being merged; freezes the fresh keys (sorted off this thread) when there are enough.</summary>
    private bool Merging()
    {
        if (_merged >= 0)
        {
            return true;
        }

        if (_sorting is { } sorting)
        {
            if (!sorting.IsCompleted)
            {
                return false;
            }

            _sorting = null;
            _merged = 0;
            return true;
        }

        if (_fresh < generation)
        {
            return false;
        }

        // Every committed alert after the last generation is in this one, held (between batches nothing is staged): copied
        // out of the entries (a scan of at most two generations') and sorted by a thread of the pool.
        var from = _frozenUpTo;
        _frozenUpTo = _lastId;
        if (_generation.Length < _fresh)
        {
            _generation = new Entry[_fresh];
        }

        _fresh = 0;

        _generationLength = 0;
        for (var at = 0; at < _used; at++)
        {
            if (_entries[at].Id > from && _entries[at].Id <= _frozenUpTo)
            {
                _generation[_generationLength++] = _entries[at];
            }
        }

        var frozen = _generation;
        var length = _generationLength;
        _sorting = Task.Run(() => frozen.AsSpan(0, length).Sort(KeyOrder));
        return false;
    }

    private int Bucket(long hash) => (int)(hash & (_buckets.Length - 1));

    private static int[] NewBuckets(int length)
    {
        var buckets = new int[length];
        Array.Fill(buckets, -1);
        return buckets;
    }

    private void Hold(long hash, long incident, long id)
    {
        int at;
        if (_free >= 0)
        {
            at = _free;
            _free = _entries[at].Next;
        }
        else
        {
            if (_used == _entries.Length)
            {
                Grow();
            }

            at = _used++;
        }

        var bucket = Bucket(hash);
        _entries[at] = new Entry { Hash = hash, Incident = incident, Id = id, Next = _buckets[bucket] };
        _buckets[bucket] = at;
        Held++;
    }

    private void Drop(long hash, long id)
    {
        var bucket = Bucket(hash);
        for (int at = _buckets[bucket], before = -1; at >= 0; before = at, at = _entries[at].Next)
        {
            if (_entries[at].Id != id)
            {
                continue;
            }

            if (before >= 0)
            {
                _entries[before].Next = _entries[at].Next;
            }
            else
            {
                _buckets[bucket] = _entries[at].Next;
            }

            _entries[at] = new Entry { Id = -1, Next = _free };
            _free = at;
            Held--;
            return;
        }
    }

    /// <summary>
    /// Twice the entries and buckets (never shrunk: the most a storm held), every entry in its new bucket. Called only
    /// when no entry is free (<see cref="Hold"/> takes a free one first), so every entry is held.
    /// </summary>
    private void Grow()
    {
        Array.Resize(ref _entries, _entries.Length * 2);
        _buckets = NewBuckets(_entries.Length);
        for (var at = 0; at < _used; at++)
        {
            var bucket = Bucket(_entries[at].Hash);
            _entries[at].Next = _buckets[bucket];
            _buckets[bucket] = at;
        }
    }
}
