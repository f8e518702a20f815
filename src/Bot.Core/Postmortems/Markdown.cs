using System.Text;

namespace Bot.Core.Postmortems;

/// <summary>Escapes user text so it reads as typed and cannot break the document's Markdown.</summary>
public static class Markdown
{
    private const string Special = "\\`*_[]<>|~"; // inline-significant; user text never starts a line here

    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text.ReplaceLineEndings(" "))
        {
            if (Special.Contains(c))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString().Trim();
    }

    /// <summary>A plainly marked gap for the authors to fill.</summary>
    public static string Blank(string what) => $"_[To fill: {what}]_";
}
