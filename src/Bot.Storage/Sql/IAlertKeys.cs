namespace Bot.Storage.Sql;

/// <summary>
/// Where the engine keeps the alerts' key apart from their rows and merges it in later (SQLite:
/// <see cref="Sqlite.AlertKeys"/>): the keys of the alerts written lately, which the key table does not hold yet, by the
/// fingerprint's hash. A lookup asks here first, then the key table; either gives candidates whose row's fingerprint is
/// to be checked. Used by the writer's thread only.
/// </summary>
internal interface IAlertKeys
{
    /// <summary>A fingerprint's hash, as the key table stores it.</summary>
    long Hash(string fingerprint);

    /// <summary>
    /// The next candidate, after <paramref name="after"/> (-1 to start), for the id of the incident's alert with a
    /// fingerprint of this hash among those written lately; null: none left (ask the key table).
    /// </summary>
    long? Find(long incident, long hash, ref int after);

    /// <summary>The ids of the alerts written lately with a fingerprint of this hash, of any incident (a JSON array; usually empty).</summary>
    string Lately(long hash);

    /// <summary>An alert the open transaction inserted: found from now on, forgotten if the transaction is undone.</summary>
    void Inserted(long incident, long hash, long id);

    /// <summary>The transaction committed: its alerts' keys are kept until merged.</summary>
    void Committed();

    /// <summary>The transaction was undone: its alerts' keys are forgotten.</summary>
    void Undone();
}
