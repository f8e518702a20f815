using Microsoft.Extensions.Options;

namespace Bot.Slack;

/// <summary>Checks <see cref="SlackOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    /// <summary>Shorter than this cannot be a Slack signing secret, and could be guessed.</summary>
    public const int MinSigningSecretLength = 16;

    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        var errors = new List<string>();
        const string s = SlackOptions.SectionName;
        if (!string.IsNullOrEmpty(options.BotToken) && !options.BotToken.StartsWith("xoxb-", StringComparison.Ordinal))
        {
            errors.Add($"{s}:BotToken must be a bot token (xoxb-...).");
        }

        if (!string.IsNullOrEmpty(options.AppToken) && !options.AppToken.StartsWith("xapp-", StringComparison.Ordinal))
        {
            errors.Add($"{s}:AppToken must be an app-level token (xapp-...).");
        }

        if (!string.IsNullOrEmpty(options.SigningSecret) && options.SigningSecret.Length < MinSigningSecretLength)
        {
            errors.Add($"{s}:SigningSecret is {options.SigningSecret.Length} characters; a Slack app's signing secret has 32 (Basic Information, App Credentials).");
        }

        if (options.Enabled && string.IsNullOrWhiteSpace(options.IncidentsChannel))
        {
            errors.Add($"{s}:IncidentsChannel must name the channel (id) where incidents are announced when Slack:BotToken is set.");
        }

        if (!options.ApiBaseUrl.IsAbsoluteUri || options.ApiBaseUrl.Scheme is not ("https" or "http"))
        {
            errors.Add($"{s}:ApiBaseUrl '{options.ApiBaseUrl}' must be an absolute http(s) URL.");
        }

        if (options.SignatureTolerance < TimeSpan.FromSeconds(30) || options.SignatureTolerance > TimeSpan.FromMinutes(15))
        {
            errors.Add($"{s}:SignatureTolerance is {options.SignatureTolerance}; expected 00:00:30 to 00:15:00.");
        }

        if (options.Replicas is < 1 or > 64)
        {
            errors.Add($"{s}:Replicas is {options.Replicas}; expected 1 to 64 (the number of the bot's replicas, which share Slack's rate limits).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
