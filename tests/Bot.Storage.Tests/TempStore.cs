using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Storage;
using Bot.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bot.Storage.Tests;

/// <summary>A real SQLite store in a temporary folder, on a fake clock.</summary>
public sealed class TempStore : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);

    private TempStore(string folder, FakeTimeProvider time, IncidentOptions? incidents)
    {
        Folder = folder;
        Time = time;
        Store = SqliteIncidentStore.Open(new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") }, time, NullLogger.Instance);
        Intake = new AlertIntake(new IncidentRules(Options.Create(incidents ?? new IncidentOptions())));
    }

    public string Folder { get; }

    public FakeTimeProvider Time { get; }

    public SqliteIncidentStore Store { get; private set; }

    public AlertIntake Intake { get; }

    public static TempStore Create(IncidentOptions? incidents = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        return new TempStore(folder, new FakeTimeProvider(Start), incidents);
    }

    public Task<IngestReport> IngestAsync(AlertBatch batch) => Store.WriteAsync(s => Intake.Ingest(s, batch));

    /// <summary>Closes the store and opens the same file again, as a restarted bot would.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = SqliteIncidentStore.Open(new StorageOptions { SqlitePath = Path.Combine(Folder, "bot.db") }, Time, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
