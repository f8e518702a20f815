using Microsoft.Extensions.Options;

namespace Bot.Core.Incidents;

/// <summary>Checks <see cref="IncidentOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class IncidentOptionsValidator : IValidateOptions<IncidentOptions>
{
    public ValidateOptionsResult Validate(string? name, IncidentOptions options)
    {
        var errors = new List<string>();
        const string s = IncidentOptions.SectionName;
        if (string.IsNullOrWhiteSpace(options.SeverityLabel))
        {
            errors.Add($"{s}:SeverityLabel must name a label (default 'severity').");
        }

        if (SeverityText.Parse(options.DefaultSeverity) is null)
        {
            errors.Add($"{s}:DefaultSeverity is '{options.DefaultSeverity}'; expected SEV1, SEV2, SEV3 or SEV4.");
        }

        foreach (var (value, severity) in options.SeverityMap)
        {
            if (SeverityText.Parse(severity) is null)
            {
                errors.Add($"{s}:SeverityMap:{value} is '{severity}'; expected SEV1, SEV2, SEV3 or SEV4.");
            }
        }

        for (var i = 0; i < options.GroupBy.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.GroupBy[i]))
            {
                errors.Add($"{s}:GroupBy:{i} is empty; list label names.");
            }
        }

        if (options.UpdateEvery < TimeSpan.Zero || (options.UpdateEvery > TimeSpan.Zero && options.UpdateEvery < TimeSpan.FromMinutes(1)))
        {
            errors.Add($"{s}:UpdateEvery is {options.UpdateEvery}; use 00:00:00 (off) or at least 00:01:00.");
        }

        if (string.IsNullOrWhiteSpace(options.CommandName) || options.CommandName[0] != '/' || options.CommandName.Any(char.IsWhiteSpace))
        {
            errors.Add($"{s}:CommandName is '{options.CommandName}'; a slash command looks like /incident.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
