using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Tests.Commands;

/// <summary>Who may run which command: open while nothing is set, then responders, leads and named people.</summary>
public class CommandPermissionsTests
{
    private static readonly Actor Alice = new("U1", "alice");
    private static readonly Actor Bob = new("U2", "bob");
    private static readonly Actor Dana = new("UDANA", "dana");

    private static CommandPermissions CreateSut(IncidentOptions options, EscalationOptions? escalation = null) =>
        new(Options.Create(options), escalation is null ? null : Options.Create(escalation));

    [Fact]
    public void NothingSet_EveryoneMayDoEverything()
    {
        var sut = CreateSut(new IncidentOptions());

        Assert.False(sut.Restricted);
        Assert.All(CommandCatalog.All, c => Assert.Null(sut.Refusal(c.Name, Bob, null, null)));
    }

    [Fact]
    public void RespondersSet_EveryCommandThatChangesSomething_IsTheirs_ReadingAndNotesStayOpen()
    {
        var sut = CreateSut(new IncidentOptions { Responders = ["U1"] });

        foreach (var command in CommandCatalog.All.Select(c => c.Name))
        {
            var open = CommandPermissions.OpenByDefault.Contains(command);
            Assert.Equal(open, sut.Refusal(command, Bob, null, null) is null);
            Assert.Null(sut.Refusal(command, Alice, null, null));
        }
    }

    [Fact]
    public void Responders_IncludeGroupsTeamMembersAndPeoplePoliciesName()
    {
        var escalation = new EscalationOptions
        {
            Teams = { ["database"] = new TeamOptions { Members = [new MemberOptions { Id = "UDANA" }] } },
            EscalationPolicies = { ["db"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["user:UERIN"], Wait = "5m" }], Fallback = ["user:UFRANK"] } },
        };
        var sut = CreateSut(new IncidentOptions { Responders = ["U1", "S0SRE"] }, escalation);

        Assert.Null(sut.Refusal("resolve", Bob, ["S0SRE"], null));
        Assert.Null(sut.Refusal("ack", Dana, null, null));
        Assert.Null(sut.Refusal("ack", new Actor("UERIN", "erin"), null, null));
        Assert.Null(sut.Refusal("ack", new Actor("UFRANK", "frank"), null, null));
        Assert.Equal(
            "Only responders (the people and groups of Incidents:Responders, and the members of team database) or the incident's lead may page (setting Incidents:Permissions:page). Ask one of them, or add a note.",
            sut.Refusal("page", Bob, ["S0OTHER"], null));
        Assert.Equal(["S0SRE"], sut.Groups);
    }

    [Fact]
    public void TheLead_MayRunTheirIncident_AndTheRefusalNamesThem()
    {
        var sut = CreateSut(new IncidentOptions { Responders = ["U1"] });
        var (incident, _) = Incident.Open("DDoS", Severity.Sev1, "manual", "g", Alice, "opened", DateTimeOffset.UnixEpoch);
        incident.AssignLead(Bob, Alice, DateTimeOffset.UnixEpoch);

        Assert.Null(sut.Refusal("resolve", Bob, null, incident));
        Assert.Contains("or the incident's lead (bob) may resolve", sut.Refusal("resolve", Dana, null, incident));
    }

    [Fact]
    public void Permissions_NameWhoMay_ByIdOrGroup()
    {
        var sut = CreateSut(new IncidentOptions { Permissions = new() { ["sev"] = ["U1", "S0LEADS"], ["note"] = ["responders"] } });

        Assert.False(sut.Restricted);
        Assert.Null(sut.Refusal("sev", Alice, null, null));
        Assert.Null(sut.Refusal("sev", Bob, ["S0LEADS"], null));
        Assert.Equal("Only U1 or S0LEADS may change the severity (setting Incidents:Permissions:sev). Ask one of them, or add a note.", sut.Refusal("sev", Bob, null, null));
        Assert.NotNull(sut.Refusal("note", Bob, null, null));
        Assert.Null(sut.Refusal("resolve", Bob, null, null)); // not listed, and no responders: still open
        Assert.Equal(["S0LEADS"], sut.Groups);
    }

    [Theory]
    [InlineData("resolv", "anyone", "Incidents:Permissions:resolv is not a command")]
    [InlineData("resolve", "U1 U2", "Incidents:Permissions:resolve:0 is 'U1 U2'")]
    public void BadPermissions_AreRefusedAtStart_NamingTheKey(string command, string who, string expected)
    {
        var result = new PermissionsValidator().Validate(null, new IncidentOptions { Permissions = new() { [command] = [who] } });

        Assert.Contains(result.Failures!, f => f.StartsWith(expected, StringComparison.Ordinal));
    }
}
