using System.Globalization;
using System.Text;

namespace Bot.Core.Chat;

/// <summary>
/// The incident channel's name, <c>inc-yyyymmdd-slug</c>, within Slack's rules: lowercase letters, digits,
/// <c>-</c> and <c>_</c>, at most 80 characters.
/// </summary>
public static class IncidentChannelName
{
    public const int MaxLength = 80;

    public static string For(string title, DateTimeOffset createdAt, string fallback)
    {
        var prefix = $"inc-{createdAt.UtcDateTime:yyyyMMdd}-";
        var slug = Slug(title, MaxLength - prefix.Length);
        return prefix + (slug.Length == 0 ? Slug(fallback, MaxLength - prefix.Length) : slug);
    }

    /// <summary>Adds <c>-2</c>, <c>-3</c>... keeping within the length limit.</summary>
    public static string WithSuffix(string name, int n)
    {
        var suffix = $"-{n}";
        var stem = name.Length + suffix.Length > MaxLength ? name[..(MaxLength - suffix.Length)].TrimEnd('-') : name;
        return stem + suffix;
    }

    public static string Slug(string text, int maxLength)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue; // é -> e
            }

            var lower = char.ToLowerInvariant(c);
            if (lower is >= 'a' and <= 'z' or >= '0' and <= '9' or '_')
            {
                sb.Append(lower);
            }
            else if (sb.Length > 0 && sb[^1] != '-')
            {
                sb.Append('-');
            }

            if (sb.Length >= maxLength)
            {
                break;
            }
        }

        var slug = sb.ToString();
        if (slug.Length > maxLength)
        {
            slug = slug[..maxLength];
        }

        return slug.Trim('-');
    }
}
