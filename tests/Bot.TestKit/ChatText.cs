using Bot.Core.Chat;

namespace Bot.TestKit;

/// <summary>Chat text as the tests read it: the bot's references in Slack's syntax, so a test sees that a mention is one.</summary>
public static class ChatText
{
    public static string Shown(string text) => ChatMarkup.Render(text, t => t, r => r.Kind switch
    {
        ChatReferenceKind.User => $"<@{r.Id}>",
        ChatReferenceKind.Group => $"<!subteam^{r.Id}>",
        _ => $"<#{r.Id}|{r.Name}>",
    });
}
