namespace Bot.Storage.Sql;

/// <summary>
/// The outbox keys the writer knows the outbox holds, where it is the only writer (<see cref="SqlDialect.KnowsItsOutbox"/>):
/// a storm's webhooks each ask for the incident's digest and summary refresh of the current window, and the outbox
/// holds them after the first; knowing that spares an insert that would do nothing, two statements of a dozen a
/// webhook. A key is remembered once the transaction that wrote (or found) it committed; a unit or transaction undone
/// forgets what it wrote; deleting done jobs, the one way a key leaves the outbox, forgets everything. Bounded: past
/// <see cref="Most"/> keys it starts again.
/// </summary>
internal sealed class OutboxKeys(bool enabled)
{
    public const int Most = 4096;

    private readonly HashSet<string> _committed = new(StringComparer.Ordinal);
    private readonly List<string> _unit = [];
    private readonly List<string> _transaction = [];

    /// <summary>The outbox holds <paramref name="key"/> (as this transaction sees it).</summary>
    public bool Holds(string key) => enabled && (_committed.Contains(key) || _transaction.Contains(key) || _unit.Contains(key));

    /// <summary>The running unit inserted <paramref name="key"/>, or found it there.</summary>
    public void Written(string key)
    {
        if (enabled)
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

    /// <summary>The transaction committed.</summary>
    public void Committed()
    {
        UnitKept();
        if (_committed.Count + _transaction.Count > Most)
        {
            _committed.Clear();
        }

        _committed.UnionWith(_transaction);
        _transaction.Clear();
    }

    /// <summary>A unit or the transaction was undone: what they wrote is forgotten (an undone unit's batch-mates too, which is only cautious).</summary>
    public void Undone()
    {
        _unit.Clear();
        _transaction.Clear();
    }

    /// <summary>Keys left the outbox.</summary>
    public void Forget()
    {
        Undone();
        _committed.Clear();
    }
}
