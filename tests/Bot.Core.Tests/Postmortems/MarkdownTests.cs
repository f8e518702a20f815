using Bot.Core.Postmortems;

namespace Bot.Core.Tests.Postmortems;

/// <summary>User text in GitHub Markdown: shown as typed, breaking nothing, notifying no one.</summary>
public class MarkdownTests
{
    [Theory]
    [InlineData("ping @org/team and @alice", "ping @&#8203;org/team and @&#8203;alice")]
    [InlineData("mail ops@example.com", "mail ops@&#8203;example.com")]
    [InlineData("a lone @ sign", "a lone @ sign")]
    [InlineData("*bold* [link](x) <b>", "\\*bold\\* \\[link\\](x) \\<b\\>")]
    [InlineData("NUL\0 ESC\u001B RLO\u202E", "NUL ESC RLO")]
    [InlineData("two\nlines", "two lines")]
    public void Escape_ShowsTextAsTyped_AndDefusesMentions(string text, string expected) =>
        Assert.Equal(expected, Markdown.Escape(text));

    [Fact]
    public void DefuseMentions_ForPlainText_PutsAZeroWidthSpaceAfterTheAt() =>
        Assert.Equal("DDoS, paging @\u200Bsecurity-team", Markdown.DefuseMentions("DDoS, paging @security-team"));
}
