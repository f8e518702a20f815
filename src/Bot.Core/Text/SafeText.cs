using System.Buffers;
using System.Globalization;
using System.Text;

namespace Bot.Core.Text;

/// <summary>
/// Text from outside (an alert, a person, a chat message) as the bot keeps and writes it. <see cref="Clean"/> removes
/// what no reader should get from a sender: control characters other than tab and line feed (a NUL makes git take a
/// postmortem for binary; an ESC drives a terminal that shows the log), bidirectional overrides, embeddings, isolates
/// and marks (U+202E makes text read backwards), and unpaired surrogates (not text; JSON encoders refuse them), which
/// become U+FFFD. A carriage return becomes a line feed. <see cref="Escape"/> is for the log: it shows such
/// characters as <c>\u001B</c> instead of dropping them, so the line keeps its evidence and still cannot fool a
/// terminal.
/// </summary>
public static class SafeText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(UnsafeChars());

    /// <summary>The text without control characters (but tab and line feed), bidi controls and unpaired surrogates.</summary>
    public static string Clean(string text)
    {
        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        sb.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                sb.Append('\uFFFD');
            }
            else if (c == '\r')
            {
                if (i + 1 >= text.Length || text[i + 1] != '\n')
                {
                    sb.Append('\n');
                }
            }
            else if (!IsUnsafe(c))
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary><see cref="Clean"/>, keeping null as null.</summary>
    public static string? CleanOrNull(string? text) => text is null ? null : Clean(text);

    /// <summary>True when <see cref="Clean"/> would change nothing.</summary>
    public static bool IsClean(string text) => text.AsSpan().IndexOfAny(Unsafe) < 0;

    /// <summary>
    /// For a log line: every character <see cref="Clean"/> would remove, line breaks and tabs included, written as a
    /// <c>\uXXXX</c> escape, so that one log entry stays one line and a terminal shows what was sent instead of obeying it.
    /// </summary>
    public static string Escape(string text)
    {
        var first = text.AsSpan().IndexOfAny(Unsafe);
        var breaks = text.AsSpan().IndexOfAny('\n', '\t');
        if (first < 0 && breaks < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (c is '\n' or '\t' || IsUnsafe(c) || char.IsSurrogate(c))
            {
                sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// The text cut to at most <paramref name="max"/> characters, ending in "..." when cut, never between the two
    /// halves of a surrogate pair (an emoji cut in half is not text, and JSON writers refuse it).
    /// </summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = Math.Max(0, max - 3);
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return string.Concat(text.AsSpan(0, end), "...");
    }

    private static bool IsUnsafe(char c) =>
        c is < '\u0020' and not '\t' and not '\n' or >= '\u007F' and <= '\u009F' or '\u061C' or '\u200E' or '\u200F'
            or >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';

    private static string UnsafeChars()
    {
        var sb = new StringBuilder();
        for (var c = 0; c <= 0xFFFF; c++)
        {
            if (IsUnsafe((char)c) || char.IsSurrogate((char)c))
            {
                sb.Append((char)c);
            }
        }

        return sb.ToString();
    }
}
