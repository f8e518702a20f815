using System.Text;
using Bot.Core.Text;

namespace Bot.Core.Postmortems;

/// <summary>
/// Escapes user text so it reads as typed in GitHub's Markdown: it cannot break the document, and it cannot notify
/// anyone (an alert that says <c>@org/team</c> must not page a GitHub team from an issue body).
/// </summary>
public static class Markdown
{
    private const string Special = "\\`*_[]<>|~"; // inline-significant; user text never starts a line here

    /// <summary>
    /// The text on one line, cleaned (<see cref="SafeText.Clean"/>), with Markdown's inline characters escaped and every
    /// <c>@mention</c> defused by a zero-width space after the <c>@</c> (written <c>&amp;#8203;</c>, as Dependabot and
    /// Renovate do), so it shows as typed but links and notifies no one.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var clean = SafeText.Clean(text).ReplaceLineEndings(" ");
        var sb = new StringBuilder(clean.Length + 8);
        for (var i = 0; i < clean.Length; i++)
        {
            var c = clean[i];
            if (Special.Contains(c))
            {
                sb.Append('\\');
            }

            sb.Append(c);
            if (StartsMention(clean, i))
            {
                sb.Append("&#8203;");
            }
        }

        return sb.ToString().Trim();
    }

    /// <summary>
    /// For plain text that GitHub shows with mentions linked (a commit message, a title): the text cleaned, each
    /// <c>@mention</c> defused by a zero-width space (U+200B) after the <c>@</c>.
    /// </summary>
    public static string DefuseMentions(string text)
    {
        var clean = SafeText.Clean(text);
        if (!clean.Contains('@'))
        {
            return clean;
        }

        var sb = new StringBuilder(clean.Length + 4);
        for (var i = 0; i < clean.Length; i++)
        {
            sb.Append(clean[i]);
            if (StartsMention(clean, i))
            {
                sb.Append('\u200B');
            }
        }

        return sb.ToString();
    }

    /// <summary>A plainly marked gap for the authors to fill.</summary>
    public static string Blank(string what) => $"_[To fill: {what}]_";

    /// <summary>An <c>@</c> that GitHub would read as a mention: followed by a letter or digit (a login, or org/team).</summary>
    private static bool StartsMention(string text, int i) => text[i] == '@' && i + 1 < text.Length && char.IsAsciiLetterOrDigit(text[i + 1]);
}
