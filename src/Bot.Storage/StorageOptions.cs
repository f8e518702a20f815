namespace Bot.Storage;

/// <summary>Where the bot keeps its state. Section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Sqlite</c> (the default: one process, a file) or <c>Postgres</c> (several replicas on one database).</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>
    /// The PostgreSQL connection string when <see cref="Provider"/> is <c>Postgres</c>, in Npgsql's form:
    /// <c>Host=db;Database=incident_bot;Username=bot;Password=...</c>. The schema is created or migrated at start-up.
    /// </summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, "Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The SQLite database file, created with its schema on first start. Default <c>data/bot.db</c>.</summary>
    public string SqlitePath { get; set; } = Path.Combine("data", "bot.db");

    /// <summary>
    /// SQLite's <c>synchronous</c> setting. <c>Full</c> (the default): each commit is on disk before a webhook is
    /// answered, so not even a power cut loses an acknowledged alert. <c>Normal</c>: faster; a commit survives a
    /// crash of the bot but may be lost if the machine loses power.
    /// </summary>
    public string Synchronous { get; set; } = "Full";

    /// <summary>Most units of work committed in one transaction. Default 256.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>Units of work that may wait for the writer before callers are held back. Default 10,000.</summary>
    public int QueueCapacity { get; set; } = 10_000;
}
