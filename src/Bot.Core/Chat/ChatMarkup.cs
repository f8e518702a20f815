using System.Text;

namespace Bot.Core.Chat;

/// <summary>
/// The only mentions and links chat text may carry: the ones the bot composes itself. <see cref="User"/>,
/// <see cref="Group"/> and <see cref="Channel"/> write a reference between two control characters; text from outside
/// can never hold one, because <see cref="Text.SafeText.Clean"/> removes control characters from everything that comes
/// in (alerts, commands, names). An adapter escapes all the rest of the text (Slack's <c>&lt;!channel&gt;</c> from an
/// alert title is shown, never sent) and turns each reference into its own syntax (<c>&lt;@U123&gt;</c> in Slack,
/// <c>@U123</c> in the local chat) with <see cref="Render"/>.
/// </summary>
public static class ChatMarkup
{
    private const char Open = '\u0002';
    private const char Close = '\u0003';

    /// <summary>A mention of a person (Slack: notifies them).</summary>
    public static string User(string id) => Reference(ChatReferenceKind.User, id, null);

    /// <summary>A mention of a user group (Slack: notifies its members).</summary>
    public static string Group(string id) => Reference(ChatReferenceKind.Group, id, null);

    /// <summary>A link to a channel, shown by its name.</summary>
    public static string Channel(string id, string? name) => Reference(ChatReferenceKind.Channel, id, name);

    /// <summary>
    /// The text with each plain run passed through <paramref name="plain"/> (the adapter's escaping) and each reference
    /// through <paramref name="reference"/>. A malformed reference is dropped.
    /// </summary>
    public static string Render(string text, Func<string, string> plain, Func<ChatReference, string> reference)
    {
        if (!text.Contains(Open))
        {
            return plain(text);
        }

        var sb = new StringBuilder(text.Length + 16);
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf(Open, at);
            if (open < 0)
            {
                sb.Append(plain(text[at..]));
                break;
            }

            sb.Append(plain(text[at..open]));
            var close = text.IndexOf(Close, open + 1);
            if (close < 0)
            {
                sb.Append(plain(text[(open + 1)..]));
                break;
            }

            if (Parse(text[(open + 1)..close]) is { } parsed)
            {
                sb.Append(reference(parsed));
            }

            at = close + 1;
        }

        return sb.ToString();
    }

    /// <summary>The text as a person reads it without a chat: <c>@U123</c>, <c>@S123</c>, <c>#inc-name</c>.</summary>
    public static string Plain(string text) => Plain(text, id => id);

    /// <summary>
    /// The text as a person reads it without a chat, each person by <paramref name="nameOf"/> (the bot's settings know
    /// <c>U123</c> as <c>dave</c>: <c>@dave</c>; it gives back the id of someone it does not know); groups by id, channels by name.
    /// </summary>
    public static string Plain(string text, Func<string, string> nameOf) => Render(text, t => t, r => r.Kind switch
    {
        ChatReferenceKind.Channel => $"#{r.Name ?? r.Id}",
        ChatReferenceKind.User => $"@{nameOf(r.Id)}",
        _ => $"@{r.Id}",
    });

    private static string Reference(ChatReferenceKind kind, string id, string? name)
    {
        if (!IsId(id))
        {
            return $"{(kind == ChatReferenceKind.Channel ? '#' : '@')}{Text.SafeText.Clean(name ?? id)}"; // not a chat id: shown, not linked
        }

        var label = name is null ? "" : "|" + new string(Text.SafeText.Clean(name).Where(c => c is not ('|' or Open or Close)).ToArray());
        return $"{Open}{(char)kind}{id}{label}{Close}";
    }

    private static ChatReference? Parse(string inner)
    {
        if (inner.Length < 2 || !Enum.IsDefined((ChatReferenceKind)inner[0]))
        {
            return null;
        }

        var bar = inner.IndexOf('|', StringComparison.Ordinal);
        var id = bar < 0 ? inner[1..] : inner[1..bar];
        return IsId(id) ? new ChatReference((ChatReferenceKind)inner[0], id, bar < 0 ? null : inner[(bar + 1)..]) : null;
    }

    private static bool IsId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

public enum ChatReferenceKind
{
    User = '@',
    Group = '!',
    Channel = '#',
}

/// <summary>A reference the bot composed: who or what, and the name to show for a channel.</summary>
public sealed record ChatReference(ChatReferenceKind Kind, string Id, string? Name);
