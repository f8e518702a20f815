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

namespace Bot.Storage.Tests;

/// <summary>The engines the store contract runs on.</summary>
public enum StoreEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A real, empty store on a fake clock: a SQLite file in a temporary folder, or a schema of its own on the test
/// PostgreSQL server (<see cref="PostgresServer"/>).
/// </summary>
public sealed class TempStore : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);

    private readonly StorageOptions _options;

    private TempStore(StoreEngine engine, string folder, FakeTimeProvider time, IncidentOptions? incidents)
    {
        Engine = engine;
        Folder = folder;
        Time = time;
        _options = engine == StoreEngine.Postgres
            ? new StorageOptions { Provider = "Postgres", ConnectionString = PostgresServer.Shared.CreateSchema() }
            : new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") };
        Store = Open(engine, _options, time);
        Intake = new AlertIntake(new IncidentRules(Options.Create(incidents ?? new IncidentOptions())));
    }

    public StoreEngine Engine { get; }

    public string Folder { get; }

    public FakeTimeProvider Time { get; }

    public SqlIncidentStore Store { get; private set; }

    public AlertIntake Intake { get; }

    public static TempStore Create(IncidentOptions? incidents = null) => Create(StoreEngine.Sqlite, incidents);

    public static TempStore Create(StoreEngine engine, IncidentOptions? incidents = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        return new TempStore(engine, folder, new FakeTimeProvider(Start), incidents);
    }

    /// <summary>Another store over the same database, as a second replica would have (PostgreSQL only).</summary>
    public SqlIncidentStore OpenReplica() => Open(Engine, _options, Time);

    public Task<IngestReport> IngestAsync(AlertBatch batch) => Store.WriteAsync(s => Intake.Ingest(s, batch));

    /// <summary>Closes the store and opens the same database again, as a restarted bot would.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = Open(Engine, _options, Time);
    }

    /// <summary>Closes the store, runs <paramref name="sql"/> on its database, and opens it again (for migration tests).</summary>
    public async Task ReopenAfterAsync(string sql)
    {
        await Store.DisposeAsync();
        await using (var connection = Engine == StoreEngine.Postgres
            ? (System.Data.Common.DbConnection)new Npgsql.NpgsqlConnection(_options.ConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_options.SqlitePath};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        Store = Open(Engine, _options, Time);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        if (Engine == StoreEngine.Postgres)
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

    private static SqlIncidentStore Open(StoreEngine engine, StorageOptions options, TimeProvider time) => engine == StoreEngine.Postgres
        ? PostgresIncidentStore.Open(options, time, NullLogger.Instance)
        : SqliteIncidentStore.Open(options, time, NullLogger.Instance);
}

/// <summary>
/// Tests of the store contract: each class deriving from this runs once per engine, through a concrete class per engine
/// (<c>...OnSqlite</c>, <c>...OnPostgres</c>).
/// </summary>
public abstract class StoreContract(StoreEngine engine)
{
    protected StoreEngine Engine { get; } = engine;

    protected TempStore NewStore(IncidentOptions? incidents = null) => TempStore.Create(Engine, incidents);
}
