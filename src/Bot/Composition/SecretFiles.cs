using Bot.Core;

namespace Bot.Composition;

/// <summary>
/// Secrets from files, as Kubernetes mounts them: a setting whose key ends in <c>File</c> after a secret's name
/// (<c>Slack:SigningSecretFile</c>, <c>Webhooks:Sources:alertmanager:TokenFile</c>, <c>Storage:ConnectionStringFile</c>...)
/// names a file whose content is that secret (a final line break is dropped). The file is read once, at start; a file
/// that cannot be read, or a secret given both ways, stops the start naming the key. The secret then never sits in an
/// environment variable, where any process of the same user, and every crash report, can read it.
/// </summary>
public static class SecretFiles
{
    /// <summary>The names of the settings that hold secrets (the last part of their key).</summary>
    public static readonly IReadOnlySet<string> SecretNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "BotToken", "SigningSecret", "AppToken", "Token", "ConnectionString", "Password", "ClientSecret", "AuthToken", "Hash",
    };

    /// <summary>Reads every <c>&lt;secret&gt;File</c> setting and adds the secrets as settings of their own (over all others).</summary>
    public static void Load(IConfigurationManager configuration)
    {
        var secrets = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, path) in configuration.AsEnumerable())
        {
            var name = key[(key.LastIndexOf(':') + 1)..];
            if (string.IsNullOrEmpty(path) || !name.EndsWith("File", StringComparison.OrdinalIgnoreCase) || !SecretNames.Contains(name[..^4]))
            {
                continue;
            }

            var secretKey = key[..^4];
            if (!string.IsNullOrEmpty(configuration[secretKey]))
            {
                throw new BotStartupException($"{secretKey} and {key} are both set; give the secret one way.");
            }

            try
            {
                secrets[secretKey] = File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new BotStartupException($"{key} '{path}' cannot be read: {e.Message}", e);
            }

            if (secrets[secretKey]!.Length == 0)
            {
                throw new BotStartupException($"{key} '{path}' is empty.");
            }
        }

        if (secrets.Count > 0)
        {
            configuration.AddInMemoryCollection(secrets);
        }
    }
}
