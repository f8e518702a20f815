using System.Data.Common;

namespace Bot.Storage.Sql;

/// <summary>
/// Runs the writer's statements through the engine's own interface, where the ADO.NET provider's work per run costs
/// more than the statement (<see cref="SqlDialect.DirectStatements"/>): each statement prepared once on the writer's
/// connection, its parameters bound by position. Used by one thread; disposed before its connection.
/// </summary>
internal interface IDirectStatements : IDisposable
{
    /// <summary>Runs <paramref name="sql"/> (one statement) with these values for its named parameters; returns the rows it changed.</summary>
    int Execute(string sql, (string Name, object Value)[] args);

    /// <summary>The key of the last row an insert on this connection added (a multi-row insert numbers its rows in order, up to it).</summary>
    long LastInsertedId { get; }

    /// <summary>Runs <paramref name="sql"/> and reads its first row with <paramref name="read"/>, or returns null when it has none.</summary>
    T? QueryOne<T>(string sql, (string Name, object Value)[] args, Func<DbDataReader, T> read)
        where T : class;
}
