using Bot.Core.Intake;
using Microsoft.Extensions.Options;

namespace Bot.Webhooks;

/// <summary>Checks <see cref="WebhookOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    /// <summary>The shortest token a source may have: guessing 16 random characters is out of reach.</summary>
    public const int MinTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var errors = new List<string>();
        const string s = WebhookOptions.SectionName;
        foreach (var (source, config) in options.Sources)
        {
            var key = $"{s}:Sources:{source}";
            if (source.Length == 0 || !source.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                errors.Add($"{key}: a source name may hold only letters, digits, '-' and '_'.");
            }

            if (!WebhookParsers.ByFormat.ContainsKey(config.Format ?? ""))
            {
                errors.Add($"{key}:Format is '{config.Format}'; expected one of {WebhookParsers.Names}.");
            }

            if (config.Token is { } token && (token.Length < MinTokenLength || token.Trim() != token))
            {
                errors.Add($"{key}:Token must be at least {MinTokenLength} characters with no surrounding spaces (or be removed); e.g. openssl rand -hex 24.");
            }

            if (config.User is { } user && (user.Length == 0 || user.Contains(':', StringComparison.Ordinal) || config.Token is null))
            {
                errors.Add($"{key}:User is for basic authentication: a name without ':', with a Token as the password.");
            }
        }

        if (options.MaxBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"{s}:MaxBodyBytes is {options.MaxBodyBytes}; expected 1024 to 67108864.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
