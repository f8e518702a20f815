using System.Text.Json;
using Bot.Slack.Handlers;

namespace Bot.Slack.Tests.Handlers;

/// <summary>The bot's modals as Block Kit describes them, and what their submissions stand for.</summary>
public sealed class ModalTests
{
    private static JsonElement Block(string view, string id) =>
        JsonDocument.Parse(view).RootElement.GetProperty("blocks").EnumerateArray().Single(b => b.GetProperty("block_id").GetString() == id);

    [Fact]
    public void TheDeclareForm_AsksWhatHowBadAndWhichTeam_SEV3AtFirst_NoTeamAtFirst()
    {
        var view = DeclareModal.Build(["network", "db"], "C1");

        var root = JsonDocument.Parse(view).RootElement;
        Assert.Equal(("modal", "incident_declare", "C1"), (root.GetProperty("type").GetString(), root.GetProperty("callback_id").GetString(), root.GetProperty("private_metadata").GetString()));
        Assert.Equal(("Declare an incident", "Declare", "Cancel"), (root.GetProperty("title").GetProperty("text").GetString(), root.GetProperty("submit").GetProperty("text").GetString(), root.GetProperty("close").GetProperty("text").GetString()));
        var severity = Block(view, "severity").GetProperty("element");
        Assert.Equal("SEV3", severity.GetProperty("initial_option").GetProperty("value").GetString());
        Assert.Equal(["SEV1", "SEV2", "SEV3", "SEV4"], severity.GetProperty("options").EnumerateArray().Select(o => o.GetProperty("value").GetString()));
        var team = Block(view, "team");
        Assert.True(team.GetProperty("optional").GetBoolean());
        Assert.False(team.GetProperty("element").TryGetProperty("initial_option", out _));
        Assert.Equal("Nobody yet", team.GetProperty("element").GetProperty("placeholder").GetProperty("text").GetString());
        Assert.Equal(["db", "network"], team.GetProperty("element").GetProperty("options").EnumerateArray().Select(o => o.GetProperty("value").GetString()));
        Assert.Equal(150, Block(view, "title").GetProperty("element").GetProperty("max_length").GetInt32());
    }

    [Fact]
    public void TheOverrideForm_OffersTheCallersTeams_ThemAtFirst_AndFourHours()
    {
        var view = OverrideModal.Build(["network"], "U1", "C1");

        Assert.Equal("oncall_override", JsonDocument.Parse(view).RootElement.GetProperty("callback_id").GetString());
        Assert.Equal("network", Block(view, "team").GetProperty("element").GetProperty("initial_option").GetProperty("value").GetString());
        Assert.Equal(("users_select", "U1"), (Block(view, "who").GetProperty("element").GetProperty("type").GetString(), Block(view, "who").GetProperty("element").GetProperty("initial_user").GetString()));
        Assert.Equal("4h", Block(view, "for").GetProperty("element").GetProperty("initial_option").GetProperty("value").GetString());
        Assert.False(Block(OverrideModal.Build(["db", "network"], "U1", "C1"), "team").GetProperty("element").TryGetProperty("initial_option", out _)); // two: none chosen for them
    }

    /// <summary>The Home tab: the commands' answers as Slack text (outside text escaped), the button's answer only once pressed, each text within Block Kit's limit.</summary>
    [Fact]
    public void TheHomeTab_ShowsTheAnswers_AndTheButtonsAnswerOnceItWasPressed()
    {
        var blocks = JsonDocument.Parse(AppHome.Build("You are paged by: chat <b>", new string('x', 5000), null)).RootElement.GetProperty("blocks").EnumerateArray().ToList();
        var pressed = JsonDocument.Parse(AppHome.Build("p", "o", "Sending you a test page")).RootElement.GetProperty("blocks").EnumerateArray().ToList();

        Assert.Equal("home", JsonDocument.Parse(AppHome.Build("p", "o", null)).RootElement.GetProperty("type").GetString());
        Assert.Equal("You are paged by: chat &lt;b&gt;", blocks[1].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal([AppHome.RulesAction, AppHome.TestPageAction], blocks[3].GetProperty("elements").EnumerateArray().Select(b => b.GetProperty("action_id").GetString()));
        Assert.Equal(2000, blocks[5].GetProperty("text").GetProperty("text").GetString()!.Length);
        Assert.Equal(blocks.Count + 1, pressed.Count);
        Assert.Equal("Sending you a test page", pressed[4].GetProperty("elements")[0].GetProperty("text").GetString());
    }

    /// <summary>The rules form: a field left empty keeps its rules; each one given is the notify command's words.</summary>
    [Theory]
    [InlineData("chat, sms 2m", "", "everyday:notify chat, sms 2m")]
    [InlineData(" ", "chat, voice 5m", "important:notify important chat, voice 5m")]
    [InlineData("chat", "sms", "everyday:notify chat|important:notify important sms")]
    [InlineData("", null, "")]
    public void ARulesSubmission_IsTheNotifyCommands_ForTheFieldsGiven(string? everyday, string? important, string expected)
    {
        var values = new Dictionary<string, object>
        {
            ["everyday"] = new { value = new { value = everyday } },
            ["important"] = new { value = new { value = important } },
        };

        var read = RulesModal.Read(JsonSerializer.SerializeToElement(new { state = new { values } }));

        Assert.Equal(expected, string.Join("|", read.Select(r => $"{r.Block}:{r.Command}")));
        Assert.Equal("notify_rules", JsonDocument.Parse(RulesModal.Build("You are paged by: chat.")).RootElement.GetProperty("callback_id").GetString());
    }

    [Theory]
    [InlineData("network", "U2", "8h", "oncall override \u0002@U2\u0003 8h network", null)]
    [InlineData(null, "U2", "8h", null, "team")]
    [InlineData("network", "U2", "90d", null, "for")]
    public void AnOverrideSubmission_IsTheTypedCommand_OrSaysWhatIsMissing(string? team, string? who, string? length, string? command, string? block)
    {
        var values = new Dictionary<string, object>
        {
            ["team"] = new { value = new { selected_option = team is null ? null : new { value = team } } },
            ["who"] = new { value = new { selected_user = who } },
            ["for"] = new { value = new { selected_option = new { value = length } } },
        };
        var view = JsonSerializer.SerializeToElement(new { state = new { values } });

        var read = OverrideModal.Read(view);

        Assert.Equal((command, block), (read.Command, read.Block));
    }
}
