namespace Bot.Storage.Sql;

/// <summary>
/// Runs the session's writes that answer nothing through the engine's own interface, where the ADO.NET provider's
/// work per run costs more than the statement (<see cref="SqlDialect.DirectWrites"/>): each statement prepared once on
/// the writer's connection, its parameters bound by position. Used by one thread; disposed before its connection.
/// </summary>
internal interface IDirectWrites : IDisposable
{
    /// <summary>Runs <paramref name="sql"/> (one statement) with these values for its named parameters; returns the rows it changed.</summary>
    int Execute(string sql, (string Name, object Value)[] args);
}
