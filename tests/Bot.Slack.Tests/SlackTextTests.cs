using Bot.Core.Chat;
using Bot.Core.Text;

namespace Bot.Slack.Tests;

/// <summary>
/// What Slack is sent: every character of outside text shown as typed, so no alert or person can notify anyone; only
/// the references the bot composed (<see cref="ChatMarkup"/>) become Slack's own syntax.
/// </summary>
public class SlackTextTests
{
    [Theory]
    [InlineData("a & b < c > d", "a &amp; b &lt; c &gt; d")]
    [InlineData("DDoS <!channel> <!here> <!everyone>", "DDoS &lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt;")]
    [InlineData("page <@U0BOB> and <@W0ERIN|erin>", "page &lt;@U0BOB&gt; and &lt;@W0ERIN|erin&gt;")]
    [InlineData("<!subteam^S0DBA> everyone", "&lt;!subteam^S0DBA&gt; everyone")]
    [InlineData("see <#C0123|inc-x>", "see &lt;#C0123|inc-x&gt;")]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("<http://evil.example|click>", "&lt;http://evil.example|click&gt;")]
    public void Mrkdwn_OutsideText_CannotNotifyOrLink(string text, string expected) =>
        Assert.Equal(expected, SlackText.Mrkdwn(text));

    /// <summary>What a person typed, from the escaped text Slack sends: its tokens as they read in Slack, its three escaped characters as typed; a person's mention left for the commands to read.</summary>
    [Theory]
    [InlineData("a &lt; b &amp; c &gt; d", "a < b & c > d")]
    [InlineData("ask <@U1|alice> and <@W2>", "ask <@U1|alice> and <@W2>")]
    [InlineData("in <#C1|ops> and <#C2>", "in #ops and #C2")]
    [InlineData("cc <!subteam^S1|@db-oncall> <!subteam^S2>", "cc @db-oncall @S2")]
    [InlineData("<!here> <!channel> <!everyone>", "@here @channel @everyone")]
    [InlineData("<https://x.example/a?b=1&amp;c=2|the docs> <https://y.example> <mailto:a@b.example|a@b.example>", "the docs (https://x.example/a?b=1&c=2) https://y.example a@b.example")]
    [InlineData("<!date^1392734382^{date}|Feb 18, 2014> at noon", "Feb 18, 2014 at noon")]
    [InlineData("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>")]
    [InlineData("plain, a <b as the local API sends it", "plain, a <b as the local API sends it")]
    public void FromSlack_IsTheTextAsThePersonTypedIt(string sent, string typed) => Assert.Equal(typed, SlackText.FromSlack(sent));

    /// <summary>Read from Slack and sent back, typed text shows as typed and notifies nobody.</summary>
    [Fact]
    public void FromSlack_ThenMrkdwn_ShowsTheTextTyped_AndNotifiesNobody() =>
        Assert.Equal("&lt;script&gt; @here &amp; #ops", SlackText.Mrkdwn(SlackText.FromSlack("&lt;script&gt; <!here> &amp; <#C1|ops>")));

    [Fact]
    public void Mrkdwn_TheBotsOwnReferences_LinkAndNotify()
    {
        var text = $":pager: {ChatMarkup.User("U0BOB")} {ChatMarkup.Group("S0DBA")} paged; join {ChatMarkup.Channel("C0123", "inc-<x>")}.";

        Assert.Equal(":pager: <@U0BOB> <!subteam^S0DBA> paged; join <#C0123|inc-&lt;x&gt;>.", SlackText.Mrkdwn(text));
    }

    [Fact]
    public void Mrkdwn_AMarkerSmuggledInAnAlert_IsRemovedWhenTheTextComesIn()
    {
        // The markers are control characters: what comes from outside is cleaned before it reaches a message.
        var smuggled = SafeText.Clean($"DDoS {ChatMarkup.User("U0BOB")}");

        Assert.Equal("DDoS @U0BOB", SlackText.Mrkdwn(smuggled));
    }
}

/// <summary>The message Slack is sent: its notification text is escaped and bounded like its blocks.</summary>
public class SlackChatRenderTests
{
    /// <summary>Every mrkdwn text of the blocks, as Slack reads them (the JSON writer escapes &lt; as \u003C).</summary>
    private static List<string> Texts(string? blocks) =>
        System.Text.Json.Nodes.JsonNode.Parse(blocks!)!.AsArray().SelectMany(b => b!["fields"]?.AsArray().Select(f => f!) ?? [b!["text"]!])
            .Select(t => (string)t["text"]!).ToList();

    [Fact]
    public void NotificationText_IsEscaped_SoAnAlertTitleCannotPingTheChannel_ButPagingMentionsStay()
    {
        var message = SlackChat.Render("C1", new ChatMessage($"DDoS <!channel> <@U0EVE> :pager: {ChatMarkup.User("U0BOB")} paged"));

        Assert.Equal("DDoS &lt;!channel&gt; &lt;@U0EVE&gt; :pager: <@U0BOB> paged", message.Text);
        Assert.Equal(message.Text, Texts(message.Blocks).Single());
    }

    [Fact]
    public void Fields_AreEscapedLikeTheText()
    {
        var message = SlackChat.Render("C1", new ChatMessage("t") { Fields = [new ChatField("Alerts", "FIRING: <!subteam^S0ALL> ddos")] });

        Assert.Equal("*Alerts*\nFIRING: &lt;!subteam^S0ALL&gt; ddos", Texts(message.Blocks).Last());
    }

    [Fact]
    public void NotificationText_IsCutAt4000Characters()
    {
        var message = SlackChat.Render("C1", new ChatMessage(new string('x', 100_000)));

        Assert.Equal(SlackChat.MaxText, message.Text.Length);
        Assert.EndsWith("...", message.Text);
    }

    [Fact]
    public void AnEmojiAtTheCut_IsNotCutInHalf()
    {
        var message = SlackChat.Render("C1", new ChatMessage(new string('x', 3995) + string.Concat(Enumerable.Repeat("\U0001F525", 10))));

        Assert.All(message.Text.Select((c, i) => (c, i)), p => Assert.False(char.IsHighSurrogate(p.c) && (p.i + 1 >= message.Text.Length || !char.IsLowSurrogate(message.Text[p.i + 1]))));
    }
}
