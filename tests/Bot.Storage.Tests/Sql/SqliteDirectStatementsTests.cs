using Bot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The writer's statements bind text through one buffer of theirs: each value must reach SQLite as it was, whatever
/// came before it in the buffer, an empty text as an empty text (not NULL), a long one and any character alike.
/// </summary>
public sealed class SqliteDirectStatementsTests
{
    [Fact]
    public void Texts_AreStoredAsGiven_EmptyLongAndNonAscii_EachInTheSameStatementAsTheOthers()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)";
            create.ExecuteNonQuery();
        }

        var rows = new (string A, string B, string C)[]
        {
            ("a longer first value, so the buffer holds more than the next one", "short", ""),
            ("", "héllo, wörld ✓ 𝄞 日本", new string('x', 40_000)),
            ("{\"alertname\":\"DiskFull\"}", new string('é', 3_000), "after a long one"),
        };
        using (var statements = new SqliteDirectStatements(connection))
        {
            for (var i = 0; i < rows.Length; i++)
            {
                statements.Execute("INSERT INTO t (id, a, b, c) VALUES (@id, @a, @b, @c)", [("@id", (long)i), ("@a", rows[i].A), ("@b", rows[i].B), ("@c", rows[i].C)]);
            }
        }

        using var read = connection.CreateCommand();
        read.CommandText = "SELECT a, b, c, typeof(a), typeof(c) FROM t ORDER BY id";
        using var reader = read.ExecuteReader();
        foreach (var (a, b, c) in rows)
        {
            Assert.True(reader.Read());
            Assert.Equal((a, b, c), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            Assert.Equal(("text", "text"), (reader.GetString(3), reader.GetString(4)));
        }
    }
}
