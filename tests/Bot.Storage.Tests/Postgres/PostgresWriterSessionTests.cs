using Bot.Storage.Postgres;
using Bot.Storage.Tests.Sql;
using Npgsql;

namespace Bot.Storage.Tests.Postgres;

/// <summary>
/// What the writers' sessions set on PostgreSQL, beside committing without waiting for the log's flush
/// (<see cref="PostgresCommitFlushTests"/>): the data pages they write out of the server's buffers are written back to
/// disk as they go, unless the server or the bot's role says otherwise.
/// </summary>
public sealed class PostgresWriterSessionTests
{
    [Fact]
    public async Task TheWriters_WriteBackThePagesTheyWriteOut_EveryQuarterMegabyte_WhereTheServerNeverDoes()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres);

        Assert.Equal("256kB", await PostgresCommitFlushTests.SettingAsync(((PostgresIncidentStore)t.Sql).OpenWriterConnectionForTests(), "backend_flush_after"));
        Assert.Equal("off", await PostgresCommitFlushTests.SettingAsync(((PostgresIncidentStore)t.Sql).OpenWriterConnectionForTests(), "synchronous_commit"));
        Assert.Equal("0", await PostgresCommitFlushTests.SettingAsync(await t.OpenConnectionAsync(), "backend_flush_after")); // the server's own: left as it is
    }

    [Fact]
    public async Task AValueTheServerOrTheRoleIsGiven_IsKept()
    {
        await using var t = TempStore.Create(SqlEngine.Postgres, configure: o =>
            o.ConnectionString = new NpgsqlConnectionStringBuilder(o.ConnectionString) { Options = "-c backend_flush_after=64kB" }.ConnectionString);

        Assert.Equal("64kB", await PostgresCommitFlushTests.SettingAsync(((PostgresIncidentStore)t.Sql).OpenWriterConnectionForTests(), "backend_flush_after"));
    }
}
