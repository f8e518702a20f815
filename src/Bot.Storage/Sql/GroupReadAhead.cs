using System.Collections;
using System.Data.Common;
using Bot.Core.Incidents;

namespace Bot.Storage.Sql;

/// <summary>
/// What a batch's transaction knows of its groups' open incidents and of their alerts, where it reads them with their
/// row locks (PostgreSQL's <c>FOR UPDATE</c>): the first unit of a group reads the incident and the alerts that all the
/// batch's units of the group look up (<see cref="Want"/>), and the units after it find them here, kept up to date as
/// they write them. A storm's batch of 64 webhooks is then one read, not 64 round trips one after the other, each
/// holding the incident's lock while another replica waits for it. A batch across groups reads all of them before its
/// first unit, in one round trip, locking them in the order of their keys (<see cref="Unread"/>).
/// <para>
/// Sound because nothing else can change those rows until the transaction ends: every writer of an incident or of its
/// alerts locks the incident first, and this transaction holds that lock. What a unit writes is kept as the values
/// written (an incident) or forgotten until read again (an alert: its stored form is the database's to say). A group
/// without an open incident holds no lock: should another replica open one meanwhile, the unit's own insert fails on the
/// group's unique key, as it would have without this. Forgotten with the transaction (<see cref="Clear"/>).
/// </para>
/// <para>
/// The escalations of an incident the transaction holds locked are kept too, once read: a storm's webhook asks whether
/// its route's policy ever ran on the incident (it never runs twice), and the answer is the same for the whole batch
/// until a unit saves an escalation (read again then). Every writer of an incident's escalations locks the incident
/// first, and the read locks the rows it found.
/// </para>
/// </summary>
internal sealed class GroupReadAhead
{
    private readonly Dictionary<string, HashSet<string>> _wanted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly HashSet<long> _locked = []; // incidents read with their lock, or opened, by the transaction
    private readonly Dictionary<long, Core.Escalation.EscalationState[]> _escalations = [];

    private sealed class Group(long number, object[]? values, bool opened)
    {
        /// <summary>The open incident's number and column values (<see cref="SqlSession"/>'s order), or 0 and null: none.</summary>
        public long Number { get; } = number;

        public object[]? Values { get; set; } = values;

        /// <summary>Opened by this transaction: it holds no alert but those written since.</summary>
        public bool Opened { get; } = opened;

        /// <summary>Alerts known: their stored state, or null for one the incident does not hold.</summary>
        public Dictionary<string, KnownAlert?> Alerts { get; } = new(StringComparer.Ordinal);

        /// <summary>Alerts written since they were read (or since the incident opened): read again when looked up.</summary>
        public HashSet<string> Written { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A unit of the batch will look up these alerts of the group.</summary>
    public void Want(string group, IEnumerable<string> fingerprints)
    {
        if (!_wanted.TryGetValue(group, out var set))
        {
            _wanted[group] = set = new HashSet<string>(StringComparer.Ordinal);
        }

        set.UnionWith(fingerprints);
    }

    /// <summary>The groups wanted that the transaction has not read, in the order every writer locks them (by key), each with the alerts wanted.</summary>
    public IReadOnlyList<(string Group, IReadOnlySet<string> Wanted)> Unread() =>
        [.. _wanted.Where(w => !_groups.ContainsKey(w.Key)).OrderBy(w => w.Key, StringComparer.Ordinal).Select(w => (w.Key, (IReadOnlySet<string>)w.Value))];

    /// <summary>
    /// What to read for a unit that looks up <paramref name="fingerprints"/>: those and the alerts the batch's units of
    /// the group want (all of them again when a unit reads the group again, after one of them was written).
    /// </summary>
    public IReadOnlySet<string> ToRead(string group, IReadOnlySet<string> fingerprints)
    {
        if (!_wanted.TryGetValue(group, out var wanted))
        {
            return fingerprints;
        }

        wanted.UnionWith(fingerprints);
        return wanted;
    }

    /// <summary>
    /// The group's open incident (its number and values, or 0 and null) and, in <paramref name="found"/>, those of
    /// <paramref name="fingerprints"/> it holds; false when the group, or any of the alerts, is not known.
    /// </summary>
    public bool TryFind(string group, IReadOnlySet<string> fingerprints, Dictionary<string, KnownAlert> found, out long number, out object[]? values)
    {
        (number, values) = (0, null);
        if (!_groups.TryGetValue(group, out var known))
        {
            return false;
        }

        if (known.Number != 0)
        {
            foreach (var fingerprint in fingerprints)
            {
                if (known.Written.Contains(fingerprint) || (!known.Alerts.ContainsKey(fingerprint) && !known.Opened))
                {
                    found.Clear();
                    return false;
                }

                if (known.Alerts.GetValueOrDefault(fingerprint) is { } alert)
                {
                    found[fingerprint] = alert;
                }
            }
        }

        (number, values) = (known.Number, known.Values);
        return true;
    }

    /// <summary>The group's open incident as read with its lock (0 and null: none), with the alerts read for <paramref name="read"/>.</summary>
    public void Read(string group, long number, object[]? values, IReadOnlySet<string> read, IReadOnlyDictionary<string, KnownAlert> found)
    {
        var known = new Group(number, values, opened: false);
        if (number != 0)
        {
            _locked.Add(number);
            foreach (var fingerprint in read)
            {
                known.Alerts[fingerprint] = found.TryGetValue(fingerprint, out var alert) ? alert : null; // null: not held (a struct's default is no answer)
            }
        }

        _groups[group] = known;
    }

    /// <summary>The transaction opened the group's incident: it holds nothing yet.</summary>
    public void Opened(string group, long number, object[] values)
    {
        _groups[group] = new Group(number, values, opened: true);
        _locked.Add(number);
    }

    /// <summary>The transaction wrote the incident: its values now, or, closed, the group is read again when looked up.</summary>
    public void Updated(string group, long number, object[] values, bool open)
    {
        if (_groups.TryGetValue(group, out var known) && known.Number == number)
        {
            if (open)
            {
                known.Values = values;
            }
            else
            {
                _groups.Remove(group);
            }
        }
    }

    /// <summary>The group's open incident's values as the transaction now knows them, if it is still <paramref name="number"/>.</summary>
    public object[]? ValuesOf(string group, long number) =>
        _groups.TryGetValue(group, out var known) && known.Number == number ? known.Values : null;

    /// <summary>The transaction wrote the alert: read again when next looked up.</summary>
    public void Wrote(string group, long number, string fingerprint)
    {
        if (_groups.TryGetValue(group, out var known) && known.Number == number)
        {
            known.Written.Add(fingerprint);
        }
    }

    /// <summary>The incident's escalations as read by this transaction, if it keeps them (null: read them).</summary>
    public IReadOnlyList<Core.Escalation.EscalationState>? Escalations(long incident) => _escalations.GetValueOrDefault(incident);

    /// <summary>The incident's escalations as read with their locks: kept where the transaction holds the incident's lock.</summary>
    public void ReadEscalations(long incident, Core.Escalation.EscalationState[] read)
    {
        if (_locked.Contains(incident))
        {
            _escalations[incident] = read;
        }
    }

    /// <summary>The transaction wrote one of the incident's escalations: they are read again when next asked for.</summary>
    public void SavedEscalation(long incident) => _escalations.Remove(incident);

    /// <summary>The transaction ended (or a unit of it was undone): nothing known holds any more.</summary>
    public void Clear()
    {
        _wanted.Clear();
        _groups.Clear();
        _locked.Clear();
        _escalations.Clear();
    }
}

/// <summary>One row of values as a reader, so that a row known in memory is read by the same code as one from the database.</summary>
internal sealed class RowReader(object[] row, string[] names) : DbDataReader
{
    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int Depth => 0;

    public override int FieldCount => row.Length;

    public override bool HasRows => true;

    public override bool IsClosed => false;

    public override int RecordsAffected => -1;

    public override bool GetBoolean(int ordinal) => (bool)row[ordinal];

    public override byte GetByte(int ordinal) => (byte)row[ordinal];

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

    public override char GetChar(int ordinal) => (char)row[ordinal];

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

    public override string GetDataTypeName(int ordinal) => GetFieldType(ordinal).Name;

    public override DateTime GetDateTime(int ordinal) => (DateTime)row[ordinal];

    public override decimal GetDecimal(int ordinal) => (decimal)row[ordinal];

    public override double GetDouble(int ordinal) => (double)row[ordinal];

    public override IEnumerator GetEnumerator() => throw new NotSupportedException();

    public override Type GetFieldType(int ordinal) => row[ordinal].GetType();

    public override float GetFloat(int ordinal) => (float)row[ordinal];

    public override Guid GetGuid(int ordinal) => (Guid)row[ordinal];

    public override short GetInt16(int ordinal) => Convert.ToInt16(row[ordinal]);

    public override int GetInt32(int ordinal) => Convert.ToInt32(row[ordinal]);

    public override long GetInt64(int ordinal) => Convert.ToInt64(row[ordinal]);

    public override string GetName(int ordinal) => names[ordinal];

    public override int GetOrdinal(string name) => Array.IndexOf(names, name);

    public override string GetString(int ordinal) => (string)row[ordinal];

    public override object GetValue(int ordinal) => row[ordinal];

    public override int GetValues(object[] values)
    {
        var count = Math.Min(values.Length, row.Length);
        Array.Copy(row, values, count);
        return count;
    }

    public override bool IsDBNull(int ordinal) => row[ordinal] is DBNull;

    public override bool NextResult() => false;

    public override bool Read() => false;
}
