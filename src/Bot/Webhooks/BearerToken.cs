using System.Security.Cryptography;
using System.Text;

namespace Bot.Webhooks;

/// <summary>Checks an <c>Authorization: Bearer</c> header in constant time.</summary>
internal static class BearerToken
{
    public static bool Matches(string? authorization, string expected)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hash both sides so the comparison takes the same time whatever the lengths.
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        var wanted = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(given, wanted);
    }
}
