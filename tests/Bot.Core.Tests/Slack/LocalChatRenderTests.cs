using Bot.Core.Chat;
using Bot.Core.Incidents;
using Bot.Slack.Local;

namespace Bot.Core.Tests.Slack;

/// <summary>The local chat's log reads as a person would read Slack: channel links as #name.</summary>
public class LocalChatRenderTests
{
    [Theory]
    [InlineData("Join <#C0123|inc-20230805-ddos>.", "Join #inc-20230805-ddos.")]
    [InlineData("see <#C0123>", "see #C0123")]
    [InlineData("no link <@U1> here", "no link <@U1> here")]
    public void Render_ShowsChannelLinksAsNames(string text, string expected) =>
        Assert.Equal(expected, LocalChat.Render(new ChatMessage(text)));

    [Fact]
    public void Announcement_LinksTheChannel_AndTheLocalLogShowsItsName()
    {
        var (incident, _) = Incident.Open("DDoS", Severity.Sev1, "alertmanager", "g", Actor.Bot, "opened", new DateTimeOffset(2023, 8, 5, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal("(no channel)", IncidentMessages.Announcement(incident).Fields.Single().Value);
        incident.AttachChannel("C0123", "inc-20230805-ddos", new DateTimeOffset(2023, 8, 5, 10, 0, 1, TimeSpan.Zero));

        var announcement = IncidentMessages.Announcement(incident);

        Assert.Equal("<#C0123|inc-20230805-ddos>", announcement.Fields.Single().Value);
        Assert.EndsWith("Channel: #inc-20230805-ddos", LocalChat.Render(announcement));
    }
}

/// <summary>What Slack is sent: text escaped for mrkdwn, but our own references kept so they link and notify.</summary>
public class SlackEscapeTests
{
    [Theory]
    [InlineData("a & b < c > d", "a &amp; b &lt; c &gt; d")]
    [InlineData(":pager: <@U0BOB> <@W0ERIN> paged", ":pager: <@U0BOB> <@W0ERIN> paged")]
    [InlineData("Join <#C0123|inc-20230805-ddos>.", "Join <#C0123|inc-20230805-ddos>.")]
    [InlineData("<!subteam^S0DBA> paged", "<!subteam^S0DBA> paged")]
    [InlineData("note by <@U0BOB|bob>", "note by <@U0BOB|bob>")]
    [InlineData("DDoS <!channel> <!here> <!everyone>", "DDoS &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;")]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("<http://evil.example|click>", "&lt;http://evil.example|click&gt;")]
    [InlineData("<@U0BOB|bo<b>", "&lt;@U0BOB|bo&lt;b&gt;")]
    public void Escape_KeepsReferences_EscapesTheRest(string text, string expected) =>
        Assert.Equal(expected, Bot.Slack.SlackChat.Escape(text));
}

/// <summary>The message Slack is sent: its notification text is escaped and bounded like its blocks.</summary>
public class SlackRenderTests
{
    [Fact]
    public void NotificationText_IsEscaped_SoAnAlertTitleCannotPingTheChannel_ButPagingMentionsStay()
    {
        var message = Bot.Slack.SlackChat.Render("C1", new ChatMessage("DDoS <!channel> :pager: <@U0BOB> paged"));

        Assert.Equal("DDoS &lt;!channel&gt; :pager: <@U0BOB> paged", message.Text);
        Assert.DoesNotContain("<!channel>", message.Blocks);
    }

    [Fact]
    public void NotificationText_IsCutAt4000Characters()
    {
        var message = Bot.Slack.SlackChat.Render("C1", new ChatMessage(new string('x', 100_000)));

        Assert.Equal(Bot.Slack.SlackChat.MaxText, message.Text.Length);
        Assert.EndsWith("...", message.Text);
    }
}
