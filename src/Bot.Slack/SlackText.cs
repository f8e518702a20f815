using Bot.Core.Chat;

namespace Bot.Slack;

/// <summary>
/// Text as Slack is sent it (mrkdwn). Everything is escaped (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>), so text from an
/// alert or a person shows as typed and cannot notify: <c>&lt;!channel&gt;</c>, <c>&lt;@U…&gt;</c>,
/// <c>&lt;!subteam^S…&gt;</c> and <c>&lt;#C…&gt;</c> in an alert title are text. Only the references the bot composed
/// (<see cref="ChatMarkup"/>) become Slack's own syntax, and so link and notify (the paging mention must).
/// </summary>
public static class SlackText
{
    public static string Mrkdwn(string text) => ChatMarkup.Render(text, Escape, Reference);

    /// <summary>Slack's three control characters escaped, as its formatting guide asks.</summary>
    public static string Escape(string text) =>
        text.AsSpan().IndexOfAny('&', '<', '>') < 0 ? text : text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string Reference(ChatReference r) => r.Kind switch
    {
        ChatReferenceKind.User => $"<@{r.Id}>",
        ChatReferenceKind.Group => $"<!subteam^{r.Id}>",
        _ => r.Name is null ? $"<#{r.Id}>" : $"<#{r.Id}|{Escape(r.Name)}>",
    };
}
