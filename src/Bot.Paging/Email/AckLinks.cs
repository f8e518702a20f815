using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Bot.Paging.Email;

/// <summary>
/// Acknowledge links: <c>&lt;incident&gt;.&lt;user&gt;.&lt;expiry&gt;</c> and its HMAC-SHA256 under
/// <see cref="EmailOptions.LinkSecret"/>, base64url. A link is good until it expires, and once: the store remembers a
/// used link's hash.
/// </summary>
public static class AckLinks
{
    public sealed record Link(long Incident, string User, DateTimeOffset Expires);

    public static string Create(string secret, long incident, string user, DateTimeOffset expires)
    {
        var payload = Encode($"{incident}.{Encode(user)}.{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}");
        return $"{payload}.{Sign(secret, payload)}";
    }

    /// <summary>The link's incident, user and expiry when its signature is good, else null (expiry is the caller's to check).</summary>
    public static Link? Read(string secret, string token)
    {
        var dot = token.LastIndexOf('.');
        if (dot <= 0 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, token[..dot])), Encoding.ASCII.GetBytes(token[(dot + 1)..])))
        {
            return null;
        }

        var parts = Decode(token[..dot])?.Split('.');
        return parts is [var incident, var user, var expires]
            && long.TryParse(incident, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && Decode(user) is { } who
            ? new Link(number, who, DateTimeOffset.FromUnixTimeSeconds(seconds))
            : null;
    }

    /// <summary>What the store keeps of a used link: its hash, not the link.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Sign(string secret, string payload) =>
        WebEncoders.Base64UrlEncode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));

    private static string Encode(string text) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(text));

    private static string? Decode(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
