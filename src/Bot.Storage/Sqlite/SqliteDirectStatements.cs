using System.Data.Common;
using System.Text;
using Bot.Storage.Sql;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Bot.Storage.Sqlite;

/// <summary>
/// The writer's statements straight through SQLite's C interface on the connection Microsoft.Data.Sqlite opened (its
/// transaction is the connection's): Microsoft.Data.Sqlite looks every parameter's name up in SQLite's list on every
/// run and wraps each call in handle accounting (together about a sixth of a storm's writer, measured with perf). Here
/// a statement is prepared once, its parameters' positions found once, and each run binds by position, steps and resets.
/// A read's row is read through <see cref="SqliteRow"/>. Errors are the provider's own <see cref="SqliteException"/>, so
/// the dialect reads them as before.
/// </summary>
internal sealed class SqliteDirectStatements(SqliteConnection connection) : IDirectStatements
{
    private readonly Dictionary<string, (sqlite3_stmt Statement, int[] Positions)> _prepared = new(StringComparer.Ordinal);
    private const int MaxBufferedText = 16 * 1024;
    private byte[] _utf8 = new byte[1024];

    public int Execute(string sql, (string Name, object Value)[] args)
    {
        raw.sqlite3_reset(Run(sql, args).Statement);
        return raw.sqlite3_changes(connection.Handle);
    }

    public long LastInsertedId => raw.sqlite3_last_insert_rowid(connection.Handle);

    public T? QueryOne<T>(string sql, (string Name, object Value)[] args, Func<DbDataReader, T> read)
        where T : class
    {
        var (statement, row) = Run(sql, args);
        try
        {
            return row ? read(new SqliteRow(statement)) : null;
        }
        finally
        {
            raw.sqlite3_reset(statement); // ends the run and lets go of what it read
        }
    }

    /// <summary>Binds the values and takes the statement's first step; the caller resets it. True when it stands on a row.</summary>
    private (sqlite3_stmt Statement, bool Row) Run(string sql, (string Name, object Value)[] args)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The writer's SQLite connection is closed.");
        if (!_prepared.TryGetValue(sql, out var prepared))
        {
            prepared = Prepare(db, sql, args);
            _prepared[sql] = prepared;
        }

        var (statement, positions) = prepared;
        if (positions.Length != args.Length)
        {
            throw new InvalidOperationException($"A statement was called with {args.Length} parameters, not its {positions.Length}: {sql}");
        }

        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                Check(Bind(statement, positions[i], args[i].Value), db);
            }

            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            {
                Check(rc, db);
            }

            return (statement, rc == raw.SQLITE_ROW);
        }
        catch
        {
            raw.sqlite3_reset(statement); // the error was read above
            throw;
        }
    }

    private static (sqlite3_stmt, int[]) Prepare(sqlite3 db, string sql, (string Name, object Value)[] args)
    {
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement, out var tail), db);
        if (!string.IsNullOrWhiteSpace(tail))
        {
            statement.Dispose();
            throw new InvalidOperationException($"A direct statement is one statement; this has more: {sql}");
        }

        var positions = new int[args.Length];
        for (var i = 0; i < args.Length; i++)
        {
            positions[i] = raw.sqlite3_bind_parameter_index(statement, args[i].Name);
            if (positions[i] == 0)
            {
                statement.Dispose();
                throw new InvalidOperationException($"The statement has no parameter {args[i].Name}: {sql}");
            }
        }

        if (raw.sqlite3_bind_parameter_count(statement) != args.Length)
        {
            statement.Dispose();
            throw new InvalidOperationException($"The statement has {raw.sqlite3_bind_parameter_count(statement)} parameters; it was given {args.Length}: {sql}");
        }

        return (statement, positions);
    }

    private int Bind(sqlite3_stmt statement, int position, object value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(statement, position),
        string text => BindText(statement, position, text),
        Utf8Text utf8 => raw.sqlite3_bind_text(statement, position, utf8.Span),
        long number => raw.sqlite3_bind_int64(statement, position, number),
        int number => raw.sqlite3_bind_int64(statement, position, number),
        bool flag => raw.sqlite3_bind_int64(statement, position, flag ? 1 : 0),
        double number => raw.sqlite3_bind_double(statement, position, number),
        byte[] bytes => raw.sqlite3_bind_blob(statement, position, bytes),
        _ => throw new NotSupportedException($"A direct statement cannot bind a {value.GetType().Name}."),
    };

    /// <summary>
    /// Text as UTF-8 through one buffer of the writer's (SQLite copies what it binds): the provider's own overload
    /// allocates an array for every value, thirty a storm's webhook. A long text keeps that overload: the buffer would
    /// keep its size.
    /// </summary>
    private int BindText(sqlite3_stmt statement, int position, string text)
    {
        if (text.Length > MaxBufferedText)
        {
            return raw.sqlite3_bind_text(statement, position, text);
        }

        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_utf8.Length < most)
        {
            _utf8 = new byte[Math.Max(most, _utf8.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(text, _utf8);
        return raw.sqlite3_bind_text(statement, position, _utf8.AsSpan(0, length));
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    public void Dispose()
    {
        foreach (var (statement, _) in _prepared.Values)
        {
            statement.Dispose();
        }

        _prepared.Clear();
    }
}
