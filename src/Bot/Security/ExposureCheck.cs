using System.Net;
using Bot.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Bot.Security;

/// <summary>
/// At start (it validates <see cref="SecurityOptions"/>): a bot that listens where other machines can reach it must not
/// answer them anonymously. Listening on a non-loopback address (0.0.0.0, a host name, an interface) with no
/// <c>Api:Tokens</c>, or with a webhook source that has no token, stops the start with one line naming the keys, unless
/// <c>Security:AllowAnonymous=true</c> says so on purpose; so does such an address with <c>AllowedHosts</c> unset
/// (every request would get 400).
/// </summary>
public sealed class ExposureCheck(IConfiguration configuration, IOptions<ApiOptions> api, IOptions<WebhookOptions> webhooks) : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options) =>
        Check(configuration, api.Value, webhooks.Value, options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;

    /// <summary>Why the bot must not start with these settings; null when it may.</summary>
    public static string? Check(IConfiguration configuration, ApiOptions api, WebhookOptions webhooks, SecurityOptions security)
    {
        var exposed = ListenAddresses(configuration).Where(a => !IsLoopback(a)).ToList();
        if (exposed.Count == 0)
        {
            return null;
        }

        var where = $"listening on {string.Join(", ", exposed)}, which other machines can reach";
        if (!security.AllowAnonymous)
        {
            var missing = new List<string>();
            if (api.Tokens.Count == 0)
            {
                missing.Add($"{ApiOptions.SectionName}:Tokens");
            }

            missing.AddRange(webhooks.Sources.Where(s => s.Value.Enabled && s.Value.Token is null).Select(s => $"{WebhookOptions.SectionName}:Sources:{s.Key}:Token"));
            if (missing.Count > 0)
            {
                return
                    $"{where}, but {Join(missing)} {(missing.Count == 1 ? "is" : "are")} not set: anyone who can reach it could read incidents, run commands or " +
                    "send alerts. Set them (docs/security.md; Webhooks:Sources:<name>:Enabled=false turns an unused source off), or set " +
                    "Security:AllowAnonymous=true to allow it on purpose.";
            }
        }

        if (string.IsNullOrWhiteSpace(configuration["AllowedHosts"]))
        {
            return
                $"{where}, but AllowedHosts is not set, so only requests to {SecurityServices.LoopbackHosts.Replace(";", ", ")} would be answered. " +
                "Set AllowedHosts to the names clients use, ';'-separated (e.g. incident-bot.example.com;incident-bot), or * for any.";
        }

        return null;
    }

    /// <summary>The addresses Kestrel will listen on: <c>urls</c> and the Kestrel endpoints of the settings.</summary>
    public static IReadOnlyList<string> ListenAddresses(IConfiguration configuration) =>
        (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>())
            .ToList();

    /// <summary>True for 127.0.0.0/8, ::1, localhost and Unix sockets; false for any wildcard, host name or other address.</summary>
    public static bool IsLoopback(string url)
    {
        var address = BindingAddress.Parse(url);
        if (address.IsUnixPipe || address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private static string Join(List<string> keys) => keys.Count == 1 ? keys[0] : $"{string.Join(", ", keys[..^1])} and {keys[^1]}";
}
