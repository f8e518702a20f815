using Microsoft.Extensions.Options;

namespace Bot.Storage;

/// <summary>Checks <see cref="StorageOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        const string s = StorageOptions.SectionName;
        if (!string.Equals(options.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{s}:Provider is '{options.Provider}'; the supported provider is Sqlite.");
        }

        if (string.IsNullOrWhiteSpace(options.SqlitePath))
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

        if (options.QueueCapacity is < 1 or > 1_000_000)
        {
            errors.Add($"{s}:QueueCapacity is {options.QueueCapacity}; expected 1 to 1000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
