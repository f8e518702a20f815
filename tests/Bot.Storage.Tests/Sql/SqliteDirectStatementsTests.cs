using Bot.Storage.Sql;
using Bot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The writer's statements bind text through one buffer of theirs: each value must reach SQLite as it was, whatever
/// came before it in the buffer, an empty text as an empty text (not NULL), a long one and any character alike; and
/// the alert rows' label JSON, bound as UTF-8 from an arena, as the text it would have been.
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

        // Label sets' JSON as the alert rows bind it: UTF-8 from one arena, several values of a statement side by side.
        var arena = new System.Buffers.ArrayBufferWriter<byte>(16); // small: the arena grows between the values
        var labels = Core.Alerts.LabelSet.From([KeyValuePair.Create("alertname", "Disk \"full\""), KeyValuePair.Create("zone", "é")]);
        var annotations = Core.Alerts.LabelSet.From([KeyValuePair.Create("summary", new string('s', 5_000))]);
        using (var statements = new SqliteDirectStatements(connection))
        {
            statements.Execute(
                "INSERT INTO t (id, a, b, c) VALUES (@id, @a, @b, @c)",
                [("@id", 10L), ("@a", LabelJson.WriteUtf8(labels, arena)), ("@b", LabelJson.WriteUtf8(Core.Alerts.LabelSet.Empty, arena)), ("@c", LabelJson.WriteUtf8(annotations, arena))]);
        }

        rows = [.. rows, (LabelJson.Write(labels), "{}", LabelJson.Write(annotations))];

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
