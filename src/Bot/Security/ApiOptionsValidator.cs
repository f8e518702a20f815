using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Bot.Security;

/// <summary>Checks <see cref="ApiOptions"/> at start-up; each failure names the key.</summary>
public sealed partial class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var errors = new List<string>();
        foreach (var (token, config) in options.Tokens)
        {
            var key = $"{ApiOptions.SectionName}:Tokens:{token}";
            if (!TokenName().IsMatch(token))
            {
                errors.Add($"{key}: a token name may hold only letters, digits and '_' (it becomes part of environment variable names).");
            }

            if (!ApiTokenHash.IsValid(config.Hash))
            {
                errors.Add($"{key}:Hash must be 'sha256:' and 64 hex digits (dotnet run --project src/Bot -- token {token} <scopes> makes a token and its hash).");
            }

            if (config.Scopes.Count == 0)
            {
                errors.Add($"{key}:Scopes is empty; give one or more of {string.Join(", ", ApiScopes.All)}.");
            }

            foreach (var scope in config.Scopes.Where(s => !ApiScopes.All.Contains(s)))
            {
                errors.Add($"{key}:Scopes has '{scope}'; expected {string.Join(", ", ApiScopes.All)}.");
            }

            if (config.Scopes.Contains(ApiScopes.Commands) && string.IsNullOrWhiteSpace(config.User))
            {
                errors.Add($"{key}:User is required with the commands scope: it is the author of the token's commands (a chat user id).");
            }

            if (config.Scopes.Contains(ApiScopes.ActAs) && !config.Scopes.Contains(ApiScopes.Commands))
            {
                errors.Add($"{key}:Scopes has act-as without commands; act-as only names the author of commands.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9_]{1,64}$")]
    private static partial Regex TokenName();
}
