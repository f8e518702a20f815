namespace Bot.Storage.Sql;

/// <summary>
/// The outbox keys a writer knows the outbox holds: a storm's webhooks each ask for the incident's digest and summary
/// refresh of the current window, and the outbox holds them after the first; knowing that spares two inserts that would
/// do nothing, of about seven statements a webhook. A key is remembered once the transaction that wrote it committed; a
/// transaction undone forgets what it wrote. Bounded: past <see cref="Most"/> keys it starts again.
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
    private readonly List<string> _transaction = []; // inserted or found by the transaction running

    /// <summary>The outbox holds <paramref name="key"/> (as this transaction sees it, at <paramref name="now"/>).</summary>
    public bool Holds(string key, DateTimeOffset now) =>
        _transaction.Contains(key)
        || (_committed.TryGetValue(key, out var written) && (onlyWriter || now - written < Trusted));

    /// <summary>The running transaction inserted <paramref name="key"/>.</summary>
    public void Inserted(string key) => _transaction.Add(key);

    /// <summary>The running transaction found <paramref name="key"/> in the outbox, or may have (an insert that does not say whether it added a row).</summary>
    public void Found(string key)
    {
        if (onlyWriter)
        {
            _transaction.Add(key);
        }
    }

    /// <summary>The transaction committed at <paramref name="now"/>.</summary>
    public void Committed(DateTimeOffset now)
    {
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

    /// <summary>The transaction was undone: what it wrote is forgotten.</summary>
    public void Undone()
    {
        _transaction.Clear();
    }

    /// <summary>This writer deleted done jobs: keys left the outbox.</summary>
    public void Forget()
    {
        Undone();
        _committed.Clear();
    }
}
