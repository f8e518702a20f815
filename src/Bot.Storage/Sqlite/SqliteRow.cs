using System.Collections;
using System.Data.Common;
using SQLitePCL;

namespace Bot.Storage.Sqlite;

/// <summary>
/// The row a direct statement (<see cref="SqliteDirectStatements"/>) stands on, read as the row readers
/// (<c>SqlRows</c>) read a provider's: by column number, as text, integers, reals, blobs or null, with SQLite's own
/// conversions (as Microsoft.Data.Sqlite's reader). Anything else a reader can do is not needed here and refused.
/// </summary>
internal sealed class SqliteRow(sqlite3_stmt statement) : DbDataReader
{
    public override int FieldCount => raw.sqlite3_column_count(statement);

    public override bool IsDBNull(int ordinal) => raw.sqlite3_column_type(statement, ordinal) == raw.SQLITE_NULL;

    public override string GetString(int ordinal) => raw.sqlite3_column_text(statement, ordinal).utf8_to_string();

    public override long GetInt64(int ordinal) => raw.sqlite3_column_int64(statement, ordinal);

    public override int GetInt32(int ordinal) => checked((int)raw.sqlite3_column_int64(statement, ordinal));

    public override double GetDouble(int ordinal) => raw.sqlite3_column_double(statement, ordinal);

    public override bool GetBoolean(int ordinal) => raw.sqlite3_column_int64(statement, ordinal) != 0;

    public override Type GetFieldType(int ordinal) => raw.sqlite3_column_type(statement, ordinal) switch
    {
        raw.SQLITE_INTEGER => typeof(long),
        raw.SQLITE_FLOAT => typeof(double),
        raw.SQLITE_BLOB => typeof(byte[]),
        raw.SQLITE_NULL => typeof(DBNull),
        _ => typeof(string),
    };

    public override object GetValue(int ordinal) => raw.sqlite3_column_type(statement, ordinal) switch
    {
        raw.SQLITE_INTEGER => GetInt64(ordinal),
        raw.SQLITE_FLOAT => GetDouble(ordinal),
        raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, ordinal).ToArray(),
        raw.SQLITE_NULL => DBNull.Value,
        _ => GetString(ordinal),
    };

    public override int GetValues(object[] values)
    {
        var n = Math.Min(values.Length, FieldCount);
        for (var i = 0; i < n; i++)
        {
            values[i] = GetValue(i);
        }

        return n;
    }

    public override object this[int ordinal] => GetValue(ordinal);

    public override string GetName(int ordinal) => raw.sqlite3_column_name(statement, ordinal).utf8_to_string();

    public override int Depth => 0;

    public override bool HasRows => true;

    public override bool IsClosed => false;

    public override int RecordsAffected => -1;

    // The statement is stepped by its owner: one row is all a row reader sees.
    public override bool Read() => throw Refused();

    public override bool NextResult() => false;

    public override object this[string name] => throw Refused();

    public override int GetOrdinal(string name) => throw Refused();

    public override string GetDataTypeName(int ordinal) => throw Refused();

    public override byte GetByte(int ordinal) => throw Refused();

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw Refused();

    public override char GetChar(int ordinal) => throw Refused();

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw Refused();

    public override DateTime GetDateTime(int ordinal) => throw Refused();

    public override decimal GetDecimal(int ordinal) => throw Refused();

    public override float GetFloat(int ordinal) => throw Refused();

    public override Guid GetGuid(int ordinal) => throw Refused();

    public override short GetInt16(int ordinal) => throw Refused();

    public override IEnumerator GetEnumerator() => throw Refused();

    private static NotSupportedException Refused() => new("A direct statement's row is read by column number, as text, numbers or blobs.");
}
