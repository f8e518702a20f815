using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.TestKit;
using Microsoft.Extensions.Options;
using Moq;

namespace Bot.Core.Tests.Escalation;

/// <summary>
/// Hand-offs on a fake clock from Saturday 2023-08-05 10:00 UTC: a weekly rotation handing over on Mondays at 09:00.
/// The on-call user group follows whoever is on call; each person hears when their shift starts and ends.
/// </summary>
public abstract class HandoffTests(StoreEngine engine) : StoreContract(engine)
{
    private static EscalationOptions Config() => new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase)
        {
            ["database"] = new TeamOptions
            {
                Members = [new MemberOptions { Id = "U-DAVE", Name = "dave" }, new MemberOptions { Id = "U-ERIN", Name = "erin" }],
                OnCallUserGroup = "S-DB-ONCALL",
                Rotation = new RotationOptions { Members = ["U-DAVE", "U-ERIN"], ShiftLength = "1w", Start = "2023-07-31", HandoffTime = "09:00", TimeZone = "UTC" },
            },
        },
    };

    private sealed class Harness
    {
        private readonly TestPipeline _pipeline;

        public Harness(TestStore t)
        {
            T = t;
            Chat.Setup(c => c.SetGroupMembersAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()))
                .Callback<string, IReadOnlyList<string>, CancellationToken>((g, u, _) => { lock (Said) { Said.Add($"{T.Time.GetUtcNow():ddd HH:mm} {g} = {string.Join(",", u)}"); } })
                .Returns(Task.CompletedTask);
            Chat.Setup(c => c.DirectMessageAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((u, m, _, _) => { lock (Said) { Said.Add($"{T.Time.GetUtcNow():ddd HH:mm} {u}: {ChatText.Shown(m.Text)}"); } })
                .ReturnsAsync(new ChatMessageRef("D1", "1"));
            _pipeline = new TestPipeline(t, Chat.Object, escalation: Config());
            Commands = new IncidentCommands(t.Store, t.Store, new IncidentRules(Options.Create(new IncidentOptions())), t.Time, escalator: _pipeline.Escalator);
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public List<string> Said { get; } = [];

        public IncidentCommands Commands { get; }

        public Task StartAsync() => T.Store.WriteAsync(s => { Handoffs.Schedule(s, "database", Config().Teams["database"]); return true; });

        public Task PassAsync(TimeSpan span) => _pipeline.PassAsync(span, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task AtEachHandoff_TheGroupFollows_AndBothPeopleAreTold_AndAStartInMidShiftOnlySyncs()
    {
        await using var t = NewStore();
        var h = new Harness(t);

        await h.StartAsync();
        await h.StartAsync(); // a second replica, or a restart: the same jobs
        await h.PassAsync(TimeSpan.FromDays(2)); // to Monday 10:00

        Assert.Equal(
        [
            "Sat 10:00 S-DB-ONCALL = U-DAVE",
            "Mon 09:00 S-DB-ONCALL = U-ERIN",
            "Mon 09:00 U-ERIN: Your on-call shift for database starts now until 2023-08-14 09:00 UTC.",
            "Mon 09:00 U-DAVE: Your on-call shift for database has ended; <@U-ERIN> is on call now.",
        ], h.Said);
    }

    [Fact]
    public async Task AnOverrideTakenFromChat_HandsOverAtOnce_AndBackWhenItEnds()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.StartAsync();
        await h.PassAsync(TimeSpan.FromMinutes(1));
        h.Said.Clear();

        Assert.True((await h.Commands.ExecuteAsync("oncall override @U-ERIN 2h", new CommandContext(new Actor("U-DAVE", "dave"), null))).Ok);
        await h.PassAsync(TimeSpan.FromHours(3));

        Assert.Equal(
        [
            "Sat 10:01 S-DB-ONCALL = U-ERIN",
            "Sat 10:01 U-ERIN: Your on-call shift for database starts now until 2023-08-05 12:01 UTC (an override).",
            "Sat 10:01 U-DAVE: Your on-call shift for database has ended; <@U-ERIN> is on call now.",
            "Sat 12:01 S-DB-ONCALL = U-DAVE",
            "Sat 12:01 U-DAVE: Your on-call shift for database starts now until 2023-08-07 09:00 UTC.",
            "Sat 12:01 U-ERIN: Your on-call shift for database has ended; <@U-DAVE> is on call now.",
        ], h.Said);
    }
}

public sealed class HandoffTestsInMemory() : HandoffTests(StoreEngine.Memory);
