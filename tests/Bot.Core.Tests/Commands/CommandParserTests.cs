using Bot.Core.Commands;
using Bot.Core.Incidents;

namespace Bot.Core.Tests.Commands;

public class CommandParserTests
{
    private static readonly DateTimeOffset Now = new(2023, 8, 5, 12, 40, 0, TimeSpan.Zero);

    private static IncidentCommand Parse(string text) => CommandParser.Parse(text, Now);

    [Theory]
    [InlineData("ack", "ack")]
    [InlineData("  ACK  ", "ack")]
    [InlineData("list", "list")]
    [InlineData("help", "help")]
    [InlineData("mitigated", "mitigated")]
    [InlineData("reopen", "reopen")]
    [InlineData("timeline", "timeline")]
    [InlineData("tasks", "tasks")]
    [InlineData("postmortem", "postmortem")]
    public void Parse_NoArgumentCommands(string text, string name) => Assert.Equal(new IncidentCommand(name), Parse(text));

    [Theory]
    [InlineData("declare Checkout is down", "Checkout is down", null, null)]
    [InlineData("declare Checkout is down sev1", "Checkout is down", Severity.Sev1, null)]
    [InlineData("declare Checkout is down SEV2 payments", "Checkout is down", Severity.Sev2, "payments")]
    [InlineData("declare \"Checkout sev1 down\" sev3", "Checkout sev1 down", Severity.Sev3, null)]
    [InlineData("declare   Paiements  refusés   à   Zürich ", "Paiements refusés à Zürich", null, null)]
    [InlineData("declare “Smart quotes work” sev4 network", "Smart quotes work", Severity.Sev4, "network")]
    public void Parse_Declare(string text, string title, Severity? severity, string? team)
    {
        var command = Parse(text);

        Assert.Equal("declare", command.Name);
        Assert.Equal(title, command.Text);
        Assert.Equal(severity, command.Severity);
        Assert.Equal(team, command.Team);
    }

    [Theory]
    [InlineData("task Add rate limiting", "corrective", "Add rate limiting", null)]
    [InlineData("task preventive Write a DDoS response plan <@U2|bob>", "preventive", "Write a DDoS response plan", "U2")]
    [InlineData("task Preventative \"Traffic analysis tools\" @carol", "preventive", "Traffic analysis tools", "carol")]
    [InlineData("task CORRECTIVE Ping @oncall in the runbook now", "corrective", "Ping @oncall in the runbook now", null)]
    public void Parse_Task_KindTitleAndAssignee(string text, string kind, string title, string? assignee)
    {
        var command = Parse(text);
        Assert.Equal(("task", kind, title, assignee), (command.Name, command.Role, command.Text, command.User?.Id));
    }

    [Fact]
    public void Parse_Task_WithAnOverlongTitle_IsRefused() =>
        Assert.Contains("keep it under 256", Assert.Throws<CommandException>(() => Parse("task " + new string('x', 300))).Message);

    [Theory]
    [InlineData("sev 1", Severity.Sev1)]
    [InlineData("sev SEV3", Severity.Sev3)]
    [InlineData("sev\t4", Severity.Sev4)]
    public void Parse_Sev(string text, Severity severity) => Assert.Equal(severity, Parse(text).Severity);

    [Theory]
    [InlineData("lead <@U024BE7LH|alice>", "U024BE7LH", "alice")]
    [InlineData("lead <@U024BE7LH>", "U024BE7LH", null)]
    [InlineData("lead @alice", "alice", "alice")]
    public void Parse_Lead_ReadsMentions(string text, string id, string? name) => Assert.Equal(new UserRef(id, name), Parse(text).User);

    /// <summary>Free text's mentions as people read them: by the settings' name, else the mention's, else the id; nothing else touched.</summary>
    [Theory]
    [InlineData("asked <@U1|alice> and <@U2> to look", "asked @Alice A. and @U2 to look")]
    [InlineData("<@U3|carol>, <@U3|carol>!", "@carol, @carol!")]
    [InlineData("a < b, <@lower> and <#C1|ops> stay", "a < b, <@lower> and <#C1|ops> stay")]
    [InlineData(null, null)]
    public void ReadableMentions_WritesEachPersonByName(string? text, string? expected) =>
        Assert.Equal(expected, CommandParser.ReadableMentions(text, id => id == "U1" ? "Alice A." : null));

    [Fact]
    public void Parse_Role()
    {
        var command = Parse("role Comms <@U1|bob>");

        Assert.Equal("comms", command.Role);
        Assert.Equal(new UserRef("U1", "bob"), command.User);
    }

    [Theory]
    [InlineData("note DB tests pass", null, "DB tests pass")]
    [InlineData("note 10:30 DB tests pass", "2023-08-05T10:30:00Z", "DB tests pass")]
    [InlineData("note 9:05 early", "2023-08-05T09:05:00Z", "early")]
    [InlineData("note 23:10 last night", "2023-08-04T23:10:00Z", "last night")] // the most recent 23:10, not tonight's
    [InlineData("note 12:40 just now", "2023-08-05T12:40:00Z", "just now")]
    [InlineData("note 2023-08-05T11:00:00Z network logs odd", "2023-08-05T11:00:00Z", "network logs odd")]
    [InlineData("note 2023-08-05T13:00:00+02:00 CEST time", "2023-08-05T11:00:00Z", "CEST time")]
    [InlineData("note \"10:30 is not a time here\"", null, "10:30 is not a time here")]
    public void Parse_Note_WithOptionalTime(string text, string? at, string note)
    {
        var command = Parse(text);

        Assert.Equal(at is null ? null : DateTimeOffset.Parse(at), command.At);
        Assert.Equal(note, command.Text);
    }

    [Theory]
    [InlineData("status identified", "identified")]
    [InlineData("status MONITORING", "monitoring")]
    [InlineData("resolve Filters in place", "Filters in place")]
    [InlineData("title DDoS on <the> API", "DDoS on <the> API")]
    [InlineData("update Next update at 13:00", "Next update at 13:00")]
    [InlineData("impact 20% of users", "20% of users")]
    [InlineData("cause DDoS", "DDoS")]
    [InlineData("resolution Rate limiting", "Rate limiting")]
    public void Parse_TextCommands(string text, string expected) => Assert.Equal(expected, Parse(text).Text);

    [Fact]
    public void Parse_ResolveWithoutSummary_IsFine() => Assert.Null(Parse("resolve").Text);

    [Theory]
    [InlineData("", "Say what to do. Try /incident help.")]
    [InlineData("   ", "Say what to do.")]
    [InlineData("explode", "Unknown command 'explode'. Try /incident help for the list.")]
    [InlineData("ack now", "/incident ack takes no arguments. Usage: /incident ack")]
    [InlineData("declare", "The title is missing. Usage: /incident declare <title> [sev1..sev4] [team]")]
    [InlineData("declare sev1", "The title is missing.")]
    [InlineData("sev 5", "Give a severity from 1 (worst) to 4. Usage: /incident sev <1-4>")]
    [InlineData("sev", "Give a severity from 1 (worst) to 4.")]
    [InlineData("status fixed", "Say which status: investigating, identified, monitoring.")]
    [InlineData("lead", "Name one person, e.g. @alice.")]
    [InlineData("lead alice", "Name one person, e.g. @alice.")]
    [InlineData("lead @alice @bob", "Name one person")]
    [InlineData("role <@U1|bob>", "Give a role name and one person.")]
    [InlineData("note", "The note is missing. Usage: /incident note [HH:MM | ISO-8601 time] <text>")]
    [InlineData("note 10:30", "The note is missing.")]
    [InlineData("note 25:00 x", "'25:00' is not a time of day (HH:MM, UTC).")]
    [InlineData("note 2023-13-45T00:00:00Z x", "'2023-13-45T00:00:00Z' is not an ISO-8601 time.")]
    [InlineData("note 2023-08-06T00:00:00Z x", "2023-08-06 00:00 UTC is in the future.")]
    [InlineData("title", "The text is missing. Usage: /incident title <text>")]
    public void Parse_BadInput_SaysWhatIsWrongWithUsage(string text, string expected)
    {
        var e = Assert.Throws<CommandException>(() => Parse(text));

        Assert.Contains(expected, e.Message);
        Assert.Equal(CommandOutcome.Invalid, e.Outcome);
    }

    [Fact]
    public void Help_ListsEveryCommandWithAnExample()
    {
        var help = CommandCatalog.Help("/incident");

        Assert.All(CommandCatalog.All, c => Assert.Contains($"/incident {c.Name}", help));
        Assert.Contains("Example: /incident note 10:30 DB connection tests pass", help);
    }

    [Fact]
    public void EveryCatalogExample_Parses()
    {
        Assert.All(CommandCatalog.All, c => Assert.Equal(c.Name, Parse(c.Example).Name));
    }
}
