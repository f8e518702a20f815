using Microsoft.Extensions.Options;
using Npgsql;

namespace Bot.Storage;

/// <summary>Checks <see cref="StorageOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        const string s = StorageOptions.SectionName;
        if (options.IsPostgres)
        {
            ValidatePostgres(options.ConnectionString, errors);
        }
        else if (!string.Equals(options.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{s}:Provider is '{options.Provider}'; expected Sqlite (the default) or Postgres.");
        }
        else if (string.IsNullOrWhiteSpace(options.SqlitePath))
        {
            errors.Add($"{s}:SqlitePath must be a file path (default data/bot.db).");
        }
        else if (options.SqlitePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{s}:SqlitePath '{options.SqlitePath}' contains characters not allowed in a path.");
        }

        if (!string.Equals(options.Synchronous, "Full", StringComparison.OrdinalIgnoreCase) && !string.Equals(options.Synchronous, "Normal", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{s}:Synchronous is '{options.Synchronous}'; expected Full or Normal.");
        }

        if (options.MaxBatch is < 1 or > 10_000)
        {
            errors.Add($"{s}:MaxBatch is {options.MaxBatch}; expected 1 to 10000.");
        }

        if (options.Writers is < 1 or > 64)
        {
            errors.Add($"{s}:Writers is {options.Writers}; expected 1 to 64.");
        }

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add($"{s}:QueueCapacity is {options.QueueCapacity}; expected 1 to 1000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidatePostgres(string? connectionString, List<string> errors)
    {
        const string key = StorageOptions.SectionName + ":ConnectionString";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            errors.Add($"{key} is required when {StorageOptions.SectionName}:Provider is Postgres (Host=...;Database=...;Username=...;Password=...).");
            return;
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            errors.Add($"{key} is not a valid connection string: {e.Message}");
            return;
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            errors.Add($"{key} names no Host.");
        }

        if (string.IsNullOrWhiteSpace(builder.Database))
        {
            errors.Add($"{key} names no Database.");
        }
    }
}
