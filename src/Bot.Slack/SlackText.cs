using System.Text.RegularExpressions;
using Bot.Core.Chat;

namespace Bot.Slack;

/// <summary>
/// Text as Slack is sent it (mrkdwn). Everything is escaped (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>), so text from an
/// alert or a person shows as typed and cannot notify: <c>&lt;!channel&gt;</c>, <c>&lt;@U…&gt;</c>,
/// <c>&lt;!subteam^S…&gt;</c> and <c>&lt;#C…&gt;</c> in an alert title are text. Only the references the bot composed
/// (<see cref="ChatMarkup"/>) become Slack's own syntax, and so link and notify (the paging mention must).
/// </summary>
public static partial class SlackText
{
    public static string Mrkdwn(string text) => ChatMarkup.Render(text, Escape, Reference);

    /// <summary>Slack's three control characters escaped, as its formatting guide asks.</summary>
    public static string Escape(string text) =>
        text.AsSpan().IndexOfAny('&', '<', '>') < 0 ? text : text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>
    /// Text a person typed as Slack sends it (a slash command's, escaped; a message's) as they read it: a channel
    /// (<c>&lt;#C123|general&gt;</c>) as <c>#general</c>, a user group (<c>&lt;!subteam^S123|@db&gt;</c>) as <c>@db</c>,
    /// <c>&lt;!here&gt;</c> as <c>@here</c>, a link as its address (after its label when it has one), and
    /// <c>&amp;lt;</c>, <c>&amp;gt;</c>, <c>&amp;amp;</c> as the characters typed. A mention of a person stays as Slack
    /// wrote it (<c>&lt;@U123|alice&gt;</c>): the commands read whom it names, and write it as <c>@alice</c> in free text.
    /// </summary>
    public static string FromSlack(string text)
    {
        if (text.AsSpan().IndexOfAny('&', '<') < 0)
        {
            return text;
        }

        var read = SlackToken().Replace(text, m => (m.Groups["token"].Value, m.Groups["label"].Success ? m.Groups["label"].Value : null) switch
        {
            (['@', ..], _) => m.Value,
            (['#', .. var channel], var label) => $"#{label ?? channel}",
            (['!', .. var special], var label) when special.StartsWith("subteam^", StringComparison.Ordinal) => label ?? $"@{special["subteam^".Length..]}",
            (['!', .. var special], null) => $"@{special}",
            (['!', ..], var label) => label!, // a date's fallback text
            (var link, null) => link.StartsWith("mailto:", StringComparison.Ordinal) ? link["mailto:".Length..] : link,
            (var link, var label) => label == link || $"mailto:{label}" == link ? label : $"{label} ({link})",
        });
        return read.Replace("&lt;", "<").Replace("&gt;", ">").Replace("&amp;", "&");
    }

    [GeneratedRegex(@"<(?<token>[@#!][^<>|]+|[a-z][a-z0-9+.-]*:[^<>|\s]+)(\|(?<label>[^<>]*))?>")]
    private static partial Regex SlackToken();

    private static string Reference(ChatReference r) => r.Kind switch
    {
        ChatReferenceKind.User => $"<@{r.Id}>",
        ChatReferenceKind.Group => $"<!subteam^{r.Id}>",
        _ => r.Name is null ? $"<#{r.Id}>" : $"<#{r.Id}|{Escape(r.Name)}>",
    };
}
