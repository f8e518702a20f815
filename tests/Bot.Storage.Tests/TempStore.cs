using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Storage;
using Bot.Storage.Postgres;
using Bot.Storage.Sql;
using Bot.Storage.Sqlite;
using Bot.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

using Bot.Core.Store;
using Bot.TestKit;

namespace Bot.Storage.Tests;

/// <summary>The real engines: the tests of Core's stages and the store contract run on each.</summary>
public sealed class SqlEngine : StoreEngine
{
    public static readonly SqlEngine Sqlite = new("sqlite", postgres: false);

    public static readonly SqlEngine Postgres = new("postgres", postgres: true);

    private SqlEngine(string name, bool postgres)
        : base(name) => IsPostgres = postgres;

    public bool IsPostgres { get; }

    public override TestStore Create(IncidentOptions? incidents = null) => TempStore.Create(this, incidents);
}

/// <summary>
/// A real, empty store on a fake clock: a SQLite file in a temporary folder, or a schema of its own on the test
/// PostgreSQL server (<see cref="PostgresServer"/>).
/// </summary>
public sealed class TempStore : TestStore
{
    private readonly StorageOptions _options;

    private TempStore(SqlEngine engine, string folder, FakeTimeProvider time, IncidentOptions? incidents, Action<StorageOptions>? configure)
        : base(time, incidents)
    {
        Engine = engine;
        Folder = folder;
        _options = engine.IsPostgres
            ? new StorageOptions { Provider = "Postgres", ConnectionString = PostgresServer.Shared.CreateSchema() }
            : new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") };
        configure?.Invoke(_options);
        Sql = Open(engine, _options, time);
    }

    public SqlEngine Engine { get; }

    public string Folder { get; }

    /// <summary>The store, as the engine's own type.</summary>
    public SqlIncidentStore Sql { get; private set; }

    public override IIncidentStore Store => Sql;

    public static TempStore Create(IncidentOptions? incidents = null) => Create(SqlEngine.Sqlite, incidents);

    /// <param name="configure">Settings of the store beyond its database (its writers, say).</param>
    public static TempStore Create(SqlEngine engine, IncidentOptions? incidents = null, Action<StorageOptions>? configure = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        return new TempStore(engine, folder, new FakeTimeProvider(Start), incidents, configure);
    }

    /// <summary>Another store over the same database, as a second replica would have (PostgreSQL only).</summary>
    public SqlIncidentStore OpenReplica() => Open(Engine, _options, Time);

    /// <summary>Closes the store and opens the same database again, as a restarted bot would.</summary>
    public override async Task ReopenAsync()
    {
        await Sql.DisposeAsync();
        Sql = Open(Engine, _options, Time);
    }

    /// <summary>A connection of its own to the store's database, open, to look at what the store wrote.</summary>
    public async Task<System.Data.Common.DbConnection> OpenConnectionAsync()
    {
        var connection = Engine.IsPostgres
            ? (System.Data.Common.DbConnection)new Npgsql.NpgsqlConnection(_options.ConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_options.SqlitePath};Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The first column of <paramref name="sql"/>'s rows, read beside the store on a connection of its own.</summary>
    public async Task<List<T>> ColumnAsync<T>(string sql, Func<System.Data.Common.DbDataReader, T> read)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(read(reader));
        }

        return values;
    }

    /// <summary>What undoes the latest migrations (38, 37), ahead of the SQL that takes a database back to an earlier version.</summary>
    public const string UndoLatest = "DROP TABLE channel_topics; DROP INDEX ix_outbox_retried; ALTER TABLE outbox DROP COLUMN first_due_at; ";

    /// <summary>Closes the store, runs <paramref name="sql"/> on its database, and opens it again (for migration tests).</summary>
    public async Task ReopenAfterAsync(string sql)
    {
        await Sql.DisposeAsync();
        await using (var connection = await OpenConnectionAsync())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        Sql = Open(Engine, _options, Time);
    }

    public override async ValueTask DisposeAsync()
    {
        await Sql.DisposeAsync();
        if (Engine.IsPostgres)
        {
            PostgresServer.Shared.DropSchema(_options.ConnectionString!);
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static SqlIncidentStore Open(SqlEngine engine, StorageOptions options, TimeProvider time) => engine.IsPostgres
        ? PostgresIncidentStore.Open(options, time, NullLogger.Instance)
        : SqliteIncidentStore.Open(options, time, NullLogger.Instance);
}

/// <summary>Tests of the SQL store itself: each class deriving from this runs once per engine (<c>...OnSqlite</c>, <c>...OnPostgres</c>).</summary>
public abstract class SqlStoreContract(SqlEngine engine)
{
    protected SqlEngine Engine { get; } = engine;

    protected TempStore NewStore(IncidentOptions? incidents = null, Action<StorageOptions>? configure = null) => TempStore.Create(Engine, incidents, configure);
}
