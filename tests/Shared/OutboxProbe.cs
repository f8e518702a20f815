using System.Data.Common;

namespace Bot.Tests.Shared;

/// <summary>
/// Waits, in a test, until a bot's outbox is quiet: no job claimed and none due within the horizon. Then a test can say
/// that something did not happen (nothing posted twice) without sleeping on a guess: any retry still to come would be
/// due within the horizon, and the wait would not have ended.
/// </summary>
public static class OutboxProbe
{
    public static Task WaitForQuietSqliteAsync(string databaseFile, TimeSpan? horizon = null, TimeSpan? timeout = null) =>
        WaitAsync(() => new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={databaseFile};Mode=ReadOnly;Pooling=false"), sqlite: true, horizon, timeout);

    public static Task WaitForQuietPostgresAsync(string connectionString, TimeSpan? horizon = null, TimeSpan? timeout = null) =>
        WaitAsync(() => new Npgsql.NpgsqlConnection(connectionString), sqlite: false, horizon, timeout);

    private static async Task WaitAsync(Func<DbConnection> open, bool sqlite, TimeSpan? horizon, TimeSpan? timeout)
    {
        var ahead = horizon ?? TimeSpan.FromSeconds(3);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        long busy;
        do
        {
            await using (var connection = open())
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = sqlite
                    ? $"SELECT COUNT(*) FROM outbox WHERE state = 1 OR (state = 0 AND due_at <= {DateTimeOffset.UtcNow.Add(ahead).ToUnixTimeMilliseconds()})"
                    : $"SELECT COUNT(*) FROM outbox WHERE state = 1 OR (state = 0 AND due_at <= now() + interval '{(int)ahead.TotalMilliseconds} milliseconds')";
                busy = Convert.ToInt64(await command.ExecuteScalarAsync());
            }

            if (busy == 0)
            {
                return;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"The outbox still had {busy} jobs claimed or due after {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s.");
    }
}
