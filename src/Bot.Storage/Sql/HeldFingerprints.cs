using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Bot.Core.Incidents;

namespace Bot.Storage.Sql;

/// <summary>
/// The fingerprints each group's open incident holds, as this process wrote them, so that a webhook's new alerts are not
/// looked up one by one before they are inserted. A storm's and a busy day's alerts are nearly all new, and the lookup
/// was a B-tree probe of the alerts' key an alert: on PostgreSQL ~15% of the database's CPU a webhook on 100 groups
/// (SQLite has none: <see cref="SqlIncidentStore.HeldFingerprints"/>).
/// <para>
/// A filter is only ever sure of an absence. It is trusted for a group when the incident the transaction read (with its
/// lock) is the one the filter is of, and the incident's alert count is the count this process last committed with the
/// filter up to date: every alert's insert counts it (the incident's tally), in the same transaction, and alerts are
/// never deleted. A count that moved meanwhile (another replica's or another writer's alerts, a restart: no filter)
/// means the alerts skipped are read after all, and the filter is dropped. A fingerprint is added as its insert is
/// written, before the commit: one whose transaction rolled back is a false "maybe", read as before. A transaction that
/// skipped lookups and rolled back drops the filters it used (should a count ever be wrong, the alert's insert fails on
/// the key and its unit runs again with every lookup made).
/// </para>
/// <para>
/// A group without a filter whose open incident the writer has just read with its lock (after a restart, say) gets one
/// rebuilt from the incident's stored fingerprints, read in the same transaction: while the lock is held no other writer
/// can add an alert, so the fingerprints and the count agree (<see cref="MayRebuild"/>, <see cref="Rebuilt"/>). Not for
/// an incident of more than <see cref="MaxRebuilt"/> alerts (the read holds the writer's batch), nor for a group whose
/// count another writer moved in the last <see cref="NoRebuildFor"/> (two replicas writing it would drop it again at once),
/// nor for one whose filter was pushed out in that time (below).
/// </para>
/// <para>
/// At most <see cref="MaxGroups"/> groups have a filter; past that, the eighth used longest ago lose theirs (a group is
/// used as a batch reads it). Pushed out at random, as before, a busy group's filter went with the idle ones' when more
/// than that many incidents were open (10,000 open escalations, say), and was rebuilt from every alert its incident held
/// at its next webhook, to go again: reads of millions of alerts, webhooks at a fifth of their rate and escalation steps
/// minutes late. A group pushed out gets none rebuilt for <see cref="NoRebuildFor"/>, so that more busy groups than that
/// bound cost each webhook its alerts' lookups (bounded by the change), never its incident's every alert.
/// </para>
/// <para>
/// The filters together hold at most <see cref="MaxHeld"/> fingerprints (~35 MB), so that many large open incidents do
/// not grow the replica's memory with their alerts: past it, the groups used longest ago lose theirs, and get none
/// rebuilt for <see cref="NoRebuildFor"/>, as past <see cref="MaxGroups"/>.
/// </para>
/// </summary>
internal sealed class HeldFingerprints(long maxHeld = HeldFingerprints.MaxHeld)
{
    /// <summary>The fingerprints all the filters hold together at most (~4.4 MB a million).</summary>
    public const long MaxHeld = 8 << 20;

    /// <summary>The groups with a filter at most: a group's filter goes when its incident closes, or with the process, or for newer ones.</summary>
    public const int MaxGroups = 4096;

    /// <summary>The most alerts an incident may hold for its filter to be rebuilt from its stored fingerprints.</summary>
    public const int MaxRebuilt = 100_000;

    /// <summary>How long a group whose count another writer moved, or whose filter was pushed out, gets no filter rebuilt.</summary>
    public static readonly TimeSpan NoRebuildFor = TimeSpan.FromMinutes(10);

    /// <summary>The groups kept with no filter rebuilt until a time (<see cref="NoRebuildFor"/>), at most.</summary>
    private const int MaxNotRebuilt = 4 * MaxGroups;

    private readonly ConcurrentDictionary<string, Entry> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _notRebuilt = new(StringComparer.Ordinal); // group -> until when no rebuild
    private long _skipped;
    private long _uses; // the stamp of the latest use of a filter
    private long _held; // the fingerprints in the filters of _groups' entries

    /// <summary>Lookups skipped so far: alerts taken for new on the filter's word (for tests).</summary>
    internal long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>The groups with a filter (for tests).</summary>
    internal int Groups => _groups.Count;

    /// <summary>The fingerprints the filters hold together (for tests).</summary>
    internal long Held => Interlocked.Read(ref _held);

    /// <summary>What a transaction relies on for a group, until its read confirms it (<see cref="Confirms"/>).</summary>
    public sealed class Expected
    {
        internal Expected(Entry entry, long number, long count) => (Of, Number, Count) = (entry, number, count);

        internal Entry Of { get; }

        public long Number { get; }

        public long Count { get; }
    }

    internal sealed class Entry(long number)
    {
        public long Number { get; } = number;

        public long Count { get; set; } = -1; // the alert count committed with the filter up to date; -1: none yet

        public FingerprintFilter Filter { get; } = new();

        public long Used; // the stamp of its latest use (HeldFingerprints._uses)

        public bool Gone; // taken out of the groups (under its lock): nothing more is added to it, nor counted
    }

    /// <summary>The group's filter, as the incident's alert count must be for it to hold; null: none.</summary>
    public Expected? Expect(string group)
    {
        if (!_groups.TryGetValue(group, out var entry))
        {
            return null;
        }

        Volatile.Write(ref entry.Used, Interlocked.Increment(ref _uses));
        lock (entry)
        {
            return entry.Count < 0 ? null : new Expected(entry, entry.Number, entry.Count);
        }
    }

    /// <summary>
    /// Sorts the fingerprints wanted: into <paramref name="absent"/> those the incident certainly does not hold (their
    /// lookup skipped, and counted), into <paramref name="lookups"/> the others. One lock for them all.
    /// </summary>
    public void Sort(Expected expected, IEnumerable<string> wanted, ICollection<string> lookups, ICollection<string> absent)
    {
        var skipped = 0;
        lock (expected.Of)
        {
            foreach (var fingerprint in wanted)
            {
                if (expected.Of.Filter.MightHold(fingerprint))
                {
                    lookups.Add(fingerprint);
                }
                else
                {
                    absent.Add(fingerprint);
                    skipped++;
                }
            }
        }

        if (skipped > 0)
        {
            Interlocked.Add(ref _skipped, skipped);
        }
    }

    /// <summary>Whether the group's open incident as read, with its lock, is the one and the count the filter holds for.</summary>
    public static bool Confirms(Expected expected, Incident? open) =>
        open is not null && open.Number == expected.Number && open.AlertCount == expected.Count;

    /// <summary>
    /// The group's incident was opened: a filter for it, empty (trusted once its opening commits). Past
    /// <see cref="MaxGroups"/>, the groups used longest ago lose theirs (<see cref="PushOut"/>).
    /// </summary>
    public void Opened(string group, long number, DateTimeOffset now) => Put(group, number, now);

    private Entry Put(string group, long number, DateTimeOffset now)
    {
        if (_groups.Count >= MaxGroups && !_groups.ContainsKey(group))
        {
            PushOut(now);
        }

        if (_groups.TryGetValue(group, out var old))
        {
            Remove(KeyValuePair.Create(group, old));
        }

        var entry = new Entry(number) { Used = Interlocked.Increment(ref _uses) };
        return _groups[group] = entry;
    }

    /// <summary>Takes the group's entry out, and its fingerprints out of the count; false when it was out already.</summary>
    private bool Remove(KeyValuePair<string, Entry> item)
    {
        if (!_groups.TryRemove(item))
        {
            return false;
        }

        lock (item.Value)
        {
            item.Value.Gone = true;
            Interlocked.Add(ref _held, -item.Value.Filter.Count);
        }

        return true;
    }

    /// <summary>
    /// At <see cref="MaxGroups"/>, the eighth of the filters used longest ago go (one sort for the next eighth's groups),
    /// and their groups get none rebuilt for <see cref="NoRebuildFor"/>. Two writers pushing out at once push out a few more.
    /// </summary>
    private void PushOut(DateTimeOffset now) => PushOutUntil(() => _groups.Count <= MaxGroups - MaxGroups / 8, now);

    /// <summary>
    /// Past <see cref="MaxHeld"/> together, the filters used longest ago go until an eighth of it is free again (one sort
    /// for that eighth's inserts), as at <see cref="MaxGroups"/>; the group just added to, the latest used, goes last.
    /// </summary>
    private void Trim(DateTimeOffset now) => PushOutUntil(() => Held <= maxHeld - maxHeld / 8, now);

    /// <summary>The filters used longest ago go, oldest first, until there is <paramref name="room"/>; their groups get none rebuilt for a while.</summary>
    private void PushOutUntil(Func<bool> room, DateTimeOffset now)
    {
        foreach (var pushed in _groups.ToArray().OrderBy(g => Volatile.Read(ref g.Value.Used)))
        {
            if (room())
            {
                return;
            }

            if (Remove(pushed))
            {
                RebuildNoneFor(pushed.Key, now);
            }
        }
    }

    /// <summary>No filter is rebuilt for the group until <see cref="NoRebuildFor"/> from now (while there is room to say so).</summary>
    private void RebuildNoneFor(string group, DateTimeOffset now)
    {
        if (_notRebuilt.Count >= MaxNotRebuilt)
        {
            foreach (var (key, until) in _notRebuilt.Where(s => s.Value <= now).ToList())
            {
                _notRebuilt.TryRemove(KeyValuePair.Create(key, until));
            }
        }

        if (_notRebuilt.Count < MaxNotRebuilt)
        {
            _notRebuilt[group] = now + NoRebuildFor;
        }
    }

    /// <summary>The groups with a filter.</summary>
    internal int Count => _groups.Count;

    /// <summary>
    /// An alert's insert was written: its fingerprint is added to the group's filter, if it is of that incident (past
    /// <see cref="MaxHeld"/> together, the filters used longest ago go: <see cref="Trim"/>).
    /// </summary>
    public void Inserted(string group, long number, string fingerprint, DateTimeOffset now)
    {
        if (!_groups.TryGetValue(group, out var entry) || entry.Number != number)
        {
            return;
        }

        lock (entry)
        {
            if (entry.Gone)
            {
                return;
            }

            if (entry.Filter.Count >= FingerprintFilter.MaxFingerprints)
            {
                Remove(KeyValuePair.Create(group, entry)); // beyond its bound: the lookups come back
                return;
            }

            entry.Filter.Add(fingerprint);
            Interlocked.Increment(ref _held); // under the lock, as Remove takes the filter's count out
        }

        if (Held > maxHeld)
        {
            Trim(now);
        }
    }

    /// <summary>A transaction committed the incident with this alert count, every alert of it in the filter.</summary>
    public void Committed(string group, long number, long count)
    {
        if (_groups.TryGetValue(group, out var entry) && entry.Number == number)
        {
            lock (entry)
            {
                entry.Count = count;
            }
        }
    }

    /// <summary>
    /// The group's incident's count moved under its filter (another writer added alerts): the filter goes, and none is
    /// rebuilt for the group for <see cref="NoRebuildFor"/>.
    /// </summary>
    public void Moved(string group, long number, DateTimeOffset now)
    {
        Forget(group, number);
        RebuildNoneFor(group, now);
    }

    /// <summary>Whether a filter should be rebuilt for the group's open incident, read with its lock, of <paramref name="count"/> alerts.</summary>
    public bool MayRebuild(string group, long count, DateTimeOffset now) =>
        count <= MaxRebuilt && !_groups.ContainsKey(group) && !(_notRebuilt.TryGetValue(group, out var until) && until > now);

    /// <summary>
    /// A filter rebuilt from every fingerprint the incident holds, read with its lock held, as its count says; trusted at
    /// once (the transaction's own inserts are added as they are written, and its commit says the count).
    /// </summary>
    public void Rebuilt(string group, long number, long count, IEnumerable<string> fingerprints, DateTimeOffset now)
    {
        var entry = Put(group, number, now);
        lock (entry)
        {
            foreach (var fingerprint in fingerprints)
            {
                entry.Filter.Add(fingerprint);
            }

            entry.Count = count;
            if (!entry.Gone)
            {
                Interlocked.Add(ref _held, entry.Filter.Count);
            }
        }

        if (Held > maxHeld)
        {
            Trim(now);
        }
    }

    /// <summary>
    /// Nothing known is trusted any more: commits this process saw may not have lasted (a PostgreSQL server that failed
    /// before making them durable, <see cref="CommitFlusher"/>). Each group's filter is rebuilt or its alerts read again.
    /// </summary>
    public void ForgetAll()
    {
        foreach (var item in _groups.ToArray())
        {
            Remove(item);
        }
    }

    /// <summary>The group's filter of the incident is not trusted any more (the incident closed, a transaction that relied on it rolled back, its count moved).</summary>
    public void Forget(string group, long number)
    {
        if (_groups.TryGetValue(group, out var entry) && entry.Number == number)
        {
            Remove(KeyValuePair.Create(group, entry));
        }
    }
}

/// <summary>
/// A Bloom filter that grows: layers of four times the last one's capacity (1,024 fingerprints first), each with 2 bits a
/// fingerprint more than the last (16 first) and 7 probes, so that a full layer answers a false "maybe" for under 0.07% of
/// fingerprints and all of them together for under 0.15%; a million fingerprints take ~4.4 MB. Never a false "no".
/// A false "maybe" costs a lookup in the batch's read: with 10 bits first (1.4% together) a batch of 11 webhooks of 5 new
/// alerts each (55 lookups) read alerts in ~44% of batches; now in ~6% (the ingest benchmark's, 2026-12-06).
/// </summary>
internal sealed class FingerprintFilter
{
    /// <summary>The most fingerprints a filter takes (~19 MB of layers): beyond, its incident's alerts are looked up again.</summary>
    public const int MaxFingerprints = 4 << 20;

    private const int FirstCapacity = 1024;
    private const int Probes = 7;
    private const int FirstBits = 16;
    private readonly List<Layer> _layers = [new Layer(FirstCapacity, bitsEach: FirstBits)];

    public int Count { get; private set; }

    public void Add(string fingerprint)
    {
        var last = _layers[^1];
        if (last.Count == last.Capacity)
        {
            _layers.Add(last = new Layer(last.Capacity * 4, FirstBits + 2 * _layers.Count));
        }

        last.Add(Hash(fingerprint));
        Count++;
    }

    public bool MightHold(string fingerprint)
    {
        var hash = Hash(fingerprint);
        foreach (var layer in _layers)
        {
            if (layer.MightHold(hash))
            {
                return true;
            }
        }

        return false;
    }

    private static ulong Hash(string fingerprint) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(fingerprint.AsSpan()));

    /// <summary>One layer: probes i = 0..6 at h1 + i h2 (two halves of one 64-bit hash), each mapped onto the layer's bits by a multiply.</summary>
    private sealed class Layer(int capacity, int bitsEach)
    {
        private readonly ulong _size = (ulong)capacity * (ulong)bitsEach;
        private readonly ulong[] _bits = new ulong[((long)capacity * bitsEach + 63) / 64];

        public int Capacity { get; } = capacity;

        public int Count { get; private set; }

        public void Add(ulong hash)
        {
            for (var i = 0u; i < Probes; i++)
            {
                var bit = Bit(hash, i);
                _bits[bit >> 6] |= 1UL << (int)(bit & 63);
            }

            Count++;
        }

        public bool MightHold(ulong hash)
        {
            for (var i = 0u; i < Probes; i++)
            {
                var bit = Bit(hash, i);
                if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
                {
                    return false;
                }
            }

            return true;
        }

        private ulong Bit(ulong hash, uint i) => (((uint)hash + i * ((uint)(hash >> 32) | 1)) * _size) >> 32;
    }
}
