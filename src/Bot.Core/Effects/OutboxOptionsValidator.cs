using Microsoft.Extensions.Options;

namespace Bot.Core.Effects;

/// <summary>Checks <see cref="OutboxOptions"/> at start-up; each failure names the setting's key and its range.</summary>
public sealed class OutboxOptionsValidator : IValidateOptions<OutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxOptions options)
    {
        var errors = new List<string>();
        Check(errors, nameof(options.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Check(errors, nameof(options.BatchSize), options.BatchSize, 1, 1000);
        Check(errors, nameof(options.Concurrency), options.Concurrency, 1, 64);
        Check(errors, nameof(options.PagingConcurrency), options.PagingConcurrency, 1, 64);
        Check(errors, nameof(options.JobTimeout), options.JobTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Check(errors, nameof(options.RetryBaseDelay), options.RetryBaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        Check(errors, nameof(options.RetryMaxDelay), options.RetryMaxDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        Check(errors, nameof(options.GiveUpAfter), options.GiveUpAfter, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
        Check(errors, nameof(options.KeepDone), options.KeepDone, OutboxOptions.KeepDoneAtLeast, TimeSpan.FromDays(365));
        foreach (var (lane, slots) in options.LaneConcurrency)
        {
            if (JobLanes.Named(lane) is null)
            {
                errors.Add($"{OutboxOptions.SectionName}:{nameof(options.LaneConcurrency)}:{lane} names no lane; the lanes are {string.Join(", ", JobsWanted.Lanes.Select(known => known.Name()))}.");
            }
            else
            {
                Check(errors, $"{nameof(options.LaneConcurrency)}:{lane}", slots, 1, 64);
            }
        }

        if (options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{OutboxOptions.SectionName}:RetryMaxDelay is {options.RetryMaxDelay}; it must not be shorter than Outbox:RetryBaseDelay ({options.RetryBaseDelay}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Check<T>(List<string> errors, string key, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add($"{OutboxOptions.SectionName}:{key} is {value}; expected {min} to {max}.");
        }
    }
}
