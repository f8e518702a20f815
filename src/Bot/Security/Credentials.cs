using System.Security.Cryptography;
using System.Text;

namespace Bot.Security;

/// <summary>Reads and checks <c>Authorization</c> headers, comparing secrets in constant time.</summary>
public static class Credentials
{
    /// <summary>The secret of <c>Authorization: Bearer &lt;secret&gt;</c>.</summary>
    public static bool TryBearer(string? authorization, out string secret) => TryScheme(authorization, "Bearer", out secret);

    /// <summary>
    /// True when the header carries <paramref name="expected"/> as a bearer token, or as the password of basic
    /// authentication (for senders that only have that, e.g. Grafana contact points) with <paramref name="user"/> as the
    /// user name when one is required.
    /// </summary>
    public static bool Match(string? authorization, string expected, string? user = null)
    {
        if (TryBearer(authorization, out var bearer))
        {
            return user is null && SameSecret(bearer, expected);
        }

        if (!TryScheme(authorization, "Basic", out var encoded))
        {
            return false;
        }

        string pair;
        try
        {
            pair = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(encoded));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var userMatches = user is null || SameSecret(pair[..colon], user);
        return SameSecret(pair[(colon + 1)..], expected) & userMatches;
    }

    /// <summary>Equal secrets, compared in time that depends on neither (both are hashed first).</summary>
    public static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private static bool TryScheme(string? authorization, string scheme, out string value)
    {
        value = "";
        if (authorization is null || authorization.Length <= scheme.Length + 1 || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || authorization[scheme.Length] != ' ')
        {
            return false;
        }

        value = authorization[(scheme.Length + 1)..].Trim();
        return value.Length > 0;
    }
}
