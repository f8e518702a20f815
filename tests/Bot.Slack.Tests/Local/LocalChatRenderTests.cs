using Bot.Core.Chat;
using Bot.Core.Incidents;
using Bot.Slack.Local;

namespace Bot.Slack.Tests.Local;

/// <summary>The local chat's log reads as a person would read Slack: the bot's references as @id and #name.</summary>
public class LocalChatRenderTests
{
    [Fact]
    public void Render_ShowsTheBotsReferences_AsAPersonReadsThem()
    {
        var text = $"Join {ChatMarkup.Channel("C0123", "inc-20230805-ddos")}, {ChatMarkup.User("U1")} and {ChatMarkup.Group("S1")}.";

        Assert.Equal("Join #inc-20230805-ddos, @U1 and @S1.", LocalChat.Render(new ChatMessage(text)));
    }

    [Fact]
    public void Render_ShowsOutsideText_AsTyped()
    {
        Assert.Equal("no link <@U1> <!channel> here", LocalChat.Render(new ChatMessage("no link <@U1> <!channel> here")));
    }

    [Fact]
    public void Announcement_LinksTheChannel_AndTheLocalLogShowsItsName()
    {
        var (incident, _) = Incident.Open("DDoS", Severity.Sev1, "alertmanager", "g", Actor.Bot, "opened", new DateTimeOffset(2023, 8, 5, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal("(no channel)", IncidentMessages.Announcement(incident).Fields.Single().Value);
        incident.AttachChannel("C0123", "inc-20230805-ddos", new DateTimeOffset(2023, 8, 5, 10, 0, 1, TimeSpan.Zero));

        var announcement = IncidentMessages.Announcement(incident);

        Assert.Equal(ChatMarkup.Channel("C0123", "inc-20230805-ddos"), announcement.Fields.Single().Value);
        Assert.EndsWith("Channel: #inc-20230805-ddos", LocalChat.Render(announcement));
    }
}
