namespace Bot.Storage.Sql;

/// <summary>
/// The outbox keys a writer knows the outbox holds: a storm's webhooks each ask for the incident's digest and summary
/// refresh of the current window, and the outbox holds them after the first; knowing that spares two inserts that would
/// do nothing, of about seven statements a webhook. A key is remembered once the transaction that wrote it committed; a
/// unit or transaction undone forgets what it wrote. Bounded: past <see cref="Most"/> keys it starts again.
/// <para>
/// Deleting done jobs is the one way a key leaves the outbox. Where the writer is the only one (<see
/// cref="SqlDialect.KnowsItsOutbox"/>: SQLite) it remembers the keys it inserted and those it found, and forgets
/// everything when it deletes. Where other writers and replicas delete too (PostgreSQL), it remembers only the keys it
/// inserted, and for <see cref="Trusted"/>: the store never deletes a job done in the last hour
/// (<see cref="Core.Effects.OutboxOptions.KeepDoneAtLeast"/>), and a job inserted minutes ago was done later still.
/// </para>
/// </summary>
internal sealed class OutboxKeys(bool onlyWriter)
{
    public const int Most = 4096;

    /// <summary>How long a key it inserted is trusted where others delete too: well under the hour done jobs are kept at least.</summary>
    public static readonly TimeSpan Trusted = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, DateTimeOffset> _committed = new(StringComparer.Ordinal); // key, when written
    private readonly List<string> _unit = [];
    private readonly List<string> _transaction = [];

    /// <summary>The outbox holds <paramref name="key"/> (as this transaction sees it, at <paramref name="now"/>).</summary>
    public bool Holds(string key, DateTimeOffset now) =>
        _unit.Contains(key) || _transaction.Contains(key)
        || (_committed.TryGetValue(key, out var written) && (onlyWriter || now - written < Trusted));

    /// <summary>The running unit inserted <paramref name="key"/>.</summary>
    public void Inserted(string key) => _unit.Add(key);

    /// <summary>The running unit found <paramref name="key"/> in the outbox, or may have (an insert that does not say whether it added a row).</summary>
    public void Found(string key)
    {
        if (onlyWriter)
        {
            _unit.Add(key);
        }
    }

    /// <summary>The unit's savepoint was released: its keys stay with the transaction.</summary>
    public void UnitKept()
    {
        _transaction.AddRange(_unit);
        _unit.Clear();
    }

    /// <summary>The transaction committed at <paramref name="now"/>.</summary>
    public void Committed(DateTimeOffset now)
    {
        UnitKept();
        if (_committed.Count + _transaction.Count > Most)
        {
            _committed.Clear();
        }

        foreach (var key in _transaction)
        {
            _committed[key] = now;
        }

        _transaction.Clear();
    }

    /// <summary>A unit or the transaction was undone: what they wrote is forgotten (an undone unit's batch-mates too, which is only cautious).</summary>
    public void Undone()
    {
        _unit.Clear();
        _transaction.Clear();
    }

    /// <summary>This writer deleted done jobs: keys left the outbox.</summary>
    public void Forget()
    {
        Undone();
        _committed.Clear();
    }
}
