using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Commands;

/// <summary>Checks <see cref="IncidentOptions.Permissions"/> at start-up: each key a command, each entry who may. Failures name the key.</summary>
public sealed class PermissionsValidator : IValidateOptions<IncidentOptions>
{
    public ValidateOptionsResult Validate(string? name, IncidentOptions options)
    {
        var errors = new List<string>();
        const string s = IncidentOptions.SectionName;
        foreach (var (command, who) in options.Permissions)
        {
            if (CommandCatalog.Find(command.ToLowerInvariant()) is null)
            {
                errors.Add($"{s}:Permissions:{command} is not a command; expected one of {string.Join(", ", CommandCatalog.All.Select(c => c.Name))}.");
            }

            if (who.Count == 0)
            {
                errors.Add($"{s}:Permissions:{command} is empty; say who may: anyone, responders, lead, or user and user-group ids.");
            }

            for (var i = 0; i < who.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(who[i]) || !who[i].All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    errors.Add($"{s}:Permissions:{command}:{i} is '{who[i]}'; expected anyone, responders, lead, or a user or user-group id.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
