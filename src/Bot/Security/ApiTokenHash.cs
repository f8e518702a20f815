using System.Security.Cryptography;
using System.Text;

namespace Bot.Security;

/// <summary>
/// API token secrets and their stored form. A secret is 32 random bytes (256 bits), so a plain SHA-256 of it cannot be
/// reversed or guessed; a slow password hash would only cost every request. Secrets are compared by their hashes, in
/// constant time.
/// </summary>
public static class ApiTokenHash
{
    private const string Prefix = "sha256:";

    /// <summary>A new secret: <c>ibot_</c> and 43 base64url characters.</summary>
    public static string NewSecret() => "ibot_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The form kept in the settings: <c>sha256:</c> and the hex digest of the secret.</summary>
    public static string Of(string secret) => Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool IsValid(string? hash) =>
        hash is { Length: 71 } && hash.StartsWith(Prefix, StringComparison.Ordinal) && hash[Prefix.Length..].All(char.IsAsciiHexDigitLower);

    /// <summary>The digest bytes of a valid stored hash.</summary>
    public static byte[] Digest(string hash) => Convert.FromHexString(hash.AsSpan(Prefix.Length));

    /// <summary>The digest of a presented secret, to compare with <see cref="Digest"/> in constant time.</summary>
    public static byte[] DigestOfSecret(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
