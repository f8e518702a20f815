using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.TestKit;
using Microsoft.Extensions.Options;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Escalation;

/// <summary>
/// Personal notification rules on a fake clock: a page runs the person's rules at their times, on the channels they
/// chose (their important rules for SEV1 and SEV2); an acknowledgement stops the rest; a channel that fails is on the
/// timeline and the next rule still runs.
/// </summary>
public abstract class NotificationTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static EscalationOptions Config() => new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase)
        {
            ["database"] = new TeamOptions { Members = [new MemberOptions { Id = "U-DAVE", Name = "dave" }] },
            ["security"] = new TeamOptions { Members = [new MemberOptions { Id = "U-SAM", Name = "sam" }] },
        },
        EscalationPolicies = new(StringComparer.OrdinalIgnoreCase) { ["database"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["team:database"], Wait = "30m" }] } },
        Routes = new RouteOptions { Routes = [new RouteOptions { Match = ["team=database"], Policies = ["database"] }] },
        People = new(StringComparer.OrdinalIgnoreCase)
        {
            ["U-DAVE"] = new PersonOptions
            {
                Name = "dave",
                Phone = "+15551230004",
                Email = "dave@example.com",
                Notify = ["chat", "email 10m"],
                NotifyImportant = ["chat", "sms 2m", "email 5m"],
            },
            ["U-SAM"] = new PersonOptions { Name = "sam", Phone = "+15551230007", Notify = ["chat", "sms 1m"] },
        },
    };

    private sealed class Harness
    {
        private readonly TestPipeline _pipeline;

        public Harness(TestStore t)
        {
            T = t;
            var config = Config();
            foreach (var (channel, mock) in new[] { ("sms", Sms), ("email", Email) })
            {
                mock.SetupGet(n => n.Channel).Returns(channel);
                mock.Setup(n => n.SendAsync(It.IsAny<NotifyMessage>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
                    .Callback<NotifyMessage, EffectJob, CancellationToken>((m, _, _) => { lock (Sent) { Sent.Add($"{T.Time.GetUtcNow() - T0:mm\\:ss} {channel} {m.Address}"); } })
                    .Returns(Task.CompletedTask);
            }

            Chat.Setup(c => c.CreateChannelAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatChannel("C1", "inc-x"));
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C1", "1"));
            Chat.Setup(c => c.AnnounceAsync(It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(new ChatMessageRef("C0", "1"));
            Chat.Setup(c => c.DirectMessageAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((u, _, _, _) => { lock (Sent) { Sent.Add($"{T.Time.GetUtcNow() - T0:mm\\:ss} chat {u}"); } })
                .ReturnsAsync(new ChatMessageRef("D1", "1"));
            _pipeline = new TestPipeline(t, Chat.Object, new IncidentOptions { UpdateEvery = TimeSpan.Zero }, config, notifiers: [Sms.Object, Email.Object]);
            Intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), _pipeline.Escalator);
            Commands = new IncidentCommands(t.Store, t.Store, new IncidentRules(Options.Create(new IncidentOptions { UpdateEvery = TimeSpan.Zero })), t.Time, escalator: _pipeline.Escalator);
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public Mock<INotifier> Sms { get; } = new();

        public Mock<INotifier> Email { get; } = new();

        public List<string> Sent { get; } = [];

        public AlertIntake Intake { get; }

        public IncidentCommands Commands { get; }

        public Task AlertAsync(string severity) => T.Store.WriteAsync(s => Intake.Ingest(s, new AlertBatch("alertmanager", "g1",
            [Firing("db-1", T0, severity: severity) with { Labels = LabelSet.From([new("alertname", "DatabaseDown"), new("team", "database"), new("severity", severity)]) }])));

        public Task PassAsync(TimeSpan span) => _pipeline.PassAsync(span, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnImportantPage_RunsThePersonsImportantRules_AtTheirTimes_OnceEach()
    {
        await using var t = NewStore();
        var h = new Harness(t);

        await h.AlertAsync("critical"); // SEV1
        await h.PassAsync(TimeSpan.FromMinutes(8));

        Assert.Equal(["00:00 chat U-DAVE", "02:00 sms +15551230004", "05:00 email dave@example.com"], h.Sent);
        var timeline = await t.Store.GetTimelineAsync(1);
        Assert.Contains(timeline, e => e.Kind == TimelineKind.Page && e.Text == "Sent an SMS to dave (their rule 2, 2m after the page).");
        Assert.Contains(timeline, e => e.Kind == TimelineKind.Page && e.Text == "Sent an e-mail to dave (their rule 3, 5m after the page).");
    }

    [Fact]
    public async Task ALesserPage_RunsTheEverydayRules()
    {
        await using var t = NewStore();
        var h = new Harness(t);

        await h.AlertAsync("warning"); // SEV3
        await h.PassAsync(TimeSpan.FromMinutes(12));

        Assert.Equal(["00:00 chat U-DAVE", "10:00 email dave@example.com"], h.Sent);
    }

    [Fact]
    public async Task AnAcknowledgement_StopsTheRulesNotYetRun()
    {
        await using var t = NewStore();
        var h = new Harness(t);

        await h.AlertAsync("critical");
        await h.PassAsync(TimeSpan.FromMinutes(3)); // the DM, then the SMS at 2m
        Assert.True((await h.Commands.ExecuteAsync("ack", new CommandContext(new Actor("U-DAVE", "dave"), 1))).Ok);
        await h.PassAsync(TimeSpan.FromMinutes(10));

        Assert.Equal(["00:00 chat U-DAVE", "02:00 sms +15551230004"], h.Sent); // no e-mail at 5m
    }

    [Fact]
    public async Task AnotherTeamPagedAfterTheFirstAcknowledged_IsStillReachedByItsRules()
    {
        await using var t = NewStore();
        var h = new Harness(t);

        await h.AlertAsync("critical");
        Assert.True((await h.Commands.ExecuteAsync("ack", new CommandContext(new Actor("U-DAVE", "dave"), 1))).Ok);
        Assert.True((await h.Commands.ExecuteAsync("page security DDoS confirmed", new CommandContext(new Actor("U-DAVE", "dave"), 1))).Ok);
        await h.PassAsync(TimeSpan.FromMinutes(8));

        Assert.Equal(["00:00 chat U-SAM", "01:00 sms +15551230007"], h.Sent); // dave acknowledged before his first step ran
    }

    [Fact]
    public async Task RulesAPersonSetsFromChat_WinOverTheSettings_UntilReset()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        var dave = new CommandContext(new Actor("U-DAVE", "dave"), null);

        var shown = await h.Commands.ExecuteAsync("notify", dave);
        Assert.Equal("You are paged by: chat, email 10m; for SEV1 and SEV2: chat, sms 2m, email 5m.", shown.Text);
        var saved = await h.Commands.ExecuteAsync("notify important chat, email 1m", dave);
        Assert.True(saved.Ok);
        Assert.Equal("Saved.\nYou are paged by: chat, email 10m; for SEV1 and SEV2: chat, email 1m.", saved.Text);

        await h.AlertAsync("critical");
        await h.PassAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(["00:00 chat U-DAVE", "01:00 email dave@example.com"], h.Sent);

        var reset = await h.Commands.ExecuteAsync("notify reset", dave);
        Assert.EndsWith("for SEV1 and SEV2: chat, sms 2m, email 5m.", reset.Text);
    }

    /// <summary>
    /// <c>notify test</c>: a test page now on each channel of the person's rules (everyday and important together), with
    /// no incident, each once; a channel whose provider refuses it is told to them by direct message, with the reason.
    /// </summary>
    [Fact]
    public async Task ATestPage_GoesOutOnEachOfThePersonsChannels_Now_AndARefusalIsToldToThem()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        NotifyMessage? sms = null;
        h.Sms.Setup(n => n.SendAsync(It.IsAny<NotifyMessage>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .Callback<NotifyMessage, EffectJob, CancellationToken>((m, _, _) => sms = m)
            .Returns(Task.CompletedTask);
        h.Email.Setup(n => n.SendAsync(It.IsAny<NotifyMessage>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new PermanentEffectException("the mail server refused dave@example.com: 550 no such user"));
        var told = new List<string>();
        h.Chat.Setup(c => c.DirectMessageAsync("U-DAVE", It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => told.Add(m.Text))
            .ReturnsAsync(new ChatMessageRef("D1", "1"));

        var reply = await h.Commands.ExecuteAsync("notify test", new CommandContext(new Actor("U-DAVE", "dave"), null));
        await h.PassAsync(TimeSpan.FromSeconds(10));

        Assert.True(reply.Ok);
        Assert.Equal("Sending you a test page by chat, email, sms: each should reach you within a minute; one its provider refuses is told to you by direct message.", reply.Text);
        Assert.Equal((null, "+15551230004"), (sms!.Incident, sms.Address));
        Assert.StartsWith("Test page from the incident bot: this is how you are paged by sms.", sms.Text);
        Assert.Equal(
            [
                "Test page from the incident bot: this is how you are paged by chat. Nothing to do.",
                "Your test page by email could not be sent: the mail server refused dave@example.com: 550 no such user.",
            ],
            told.Order());
        Assert.Empty(await t.Store.ListIncidentsAsync(new IncidentQuery(null, false, 10)));
    }

    /// <summary>
    /// Rules saved from chat outlive an address the operators later removed: a test page says at once which channel it
    /// cannot use, and why; with none left it is no success. A person with no rules at all is tested on the default, chat.
    /// </summary>
    [Fact]
    public async Task ATestPage_ForAChannelThePersonHasNoAddressFor_SaysSoAtOnce()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await t.Store.WriteAsync(s =>
        {
            s.SaveNotificationRules("U-SAM", new StoredRules(["chat", "email 1m"], ["email"]));
            s.SaveNotificationRules("U-KIM", new StoredRules(["email"], null));
            return 0;
        });

        var sam = await h.Commands.ExecuteAsync("notify test", new CommandContext(new Actor("U-SAM", "sam"), null));
        var kim = await h.Commands.ExecuteAsync("notify test", new CommandContext(new Actor("U-KIM", "kim"), null));
        var nobody = await h.Commands.ExecuteAsync("notify test", new CommandContext(new Actor("U-NEW", "new"), null));

        Assert.True(sam.Ok);
        Assert.Equal(
            "Sending you a test page by chat: each should reach you within a minute; one its provider refuses is told to you by direct message. " +
            "Not by email: the bot has no email for you (setting People:U-SAM:Email); ask its operators to add it.",
            sam.Text);
        Assert.False(kim.Ok);
        Assert.StartsWith("No test page sent. Not by email:", kim.Text);
        Assert.StartsWith("Sending you a test page by chat:", nobody.Text);
    }

    /// <summary>
    /// A form's two fields (the chat's and the console's): each given is its command, as the person; a refused one is
    /// said with its field and what the field before it saved; nothing given asks nothing.
    /// </summary>
    [Fact]
    public async Task ARulesForm_SavesEachFieldGiven_AndARefusalSaysItsFieldAndWhatWasSaved()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        var sam = new CommandContext(new Actor("U-SAM", "sam"), null);

        Assert.Empty(RulesForm.Commands(" ", null));
        Assert.Equal([(RulesForm.Important, "notify important sms")], RulesForm.Commands("", " sms "));
        var (refused, field) = await RulesForm.SaveAsync(h.Commands, RulesForm.Commands("chat, sms 2m", "chat, email 5m"), sam);
        Assert.Equal((false, RulesForm.Important), (refused.Ok, field));
        Assert.EndsWith("(every incident's rules saved)", refused.Text);
        var kept = await t.Store.WriteAsync(s => s.GetNotificationRules("U-SAM"));
        Assert.Equal(["chat", "sms 2m"], kept!.Notify);
        Assert.Null(kept.Important);

        var (saved, _) = await RulesForm.SaveAsync(h.Commands, RulesForm.Commands(null, "chat, sms"), sam);
        Assert.StartsWith("Saved.", saved.Text);
        Assert.Equal(["chat", "sms"], (await t.Store.WriteAsync(s => s.GetNotificationRules("U-SAM")))!.Important);
    }

    [Theory]
    [InlineData("U-SAM", "notify email 2m", "The bot has no email for you (setting People:U-SAM:Email)")]
    [InlineData("U-DAVE", "notify pigeon", "'pigeon' is not a rule")]
    [InlineData("U-DAVE", "notify important", "Give at least one rule")]
    public async Task ARuleThePersonCannotHave_IsRefused_AndNothingIsSaved(string user, string text, string expected)
    {
        await using var t = NewStore();
        var h = new Harness(t);

        var reply = await h.Commands.ExecuteAsync(text, new CommandContext(new Actor(user, "someone"), null));

        Assert.False(reply.Ok);
        Assert.Contains(expected, reply.Text);
        Assert.Null(await t.Store.WriteAsync(s => s.GetNotificationRules(user)));
    }

    [Fact]
    public async Task AChannelThatFails_IsOnTheTimeline_AndTheNextRuleStillRuns()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        h.Sms.Setup(n => n.SendAsync(It.IsAny<NotifyMessage>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new PermanentEffectException("Twilio refused the number +15551230004 (21211: invalid 'To' phone number)"));

        await h.AlertAsync("critical");
        await h.PassAsync(TimeSpan.FromMinutes(8));

        Assert.Equal(["00:00 chat U-DAVE", "05:00 email dave@example.com"], h.Sent);
        var timeline = await t.Store.GetTimelineAsync(1);
        Assert.Contains(timeline, e => e.Kind == TimelineKind.EffectFailed && e.Text.Contains("21211") && e.Text.Contains("page a responder"));
    }

    /// <summary>
    /// A provider failing a page try after try (Twilio answering 503) is said on the timeline and in the channel once,
    /// at the third try, while the bot keeps trying: responders can reach the person another way meanwhile.
    /// </summary>
    [Fact]
    public async Task APageFailingTryAfterTry_IsSaidOnce_AtItsThirdTry_WhileItIsTriedAgain()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        var tries = 0;
        h.Sms.Setup(n => n.SendAsync(It.IsAny<NotifyMessage>(), It.IsAny<EffectJob>(), It.IsAny<CancellationToken>()))
            .Callback(() => Interlocked.Increment(ref tries))
            .ThrowsAsync(new IOException("Twilio failed Messages.create (HTTP 503): Service Unavailable"));
        var posted = new List<string>();
        h.Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => { lock (posted) { posted.Add(m.Text); } })
            .ReturnsAsync(new ChatMessageRef("C1", "1"));

        await h.AlertAsync("critical");
        await h.PassAsync(TimeSpan.FromMinutes(10));

        Assert.True(tries > 3, $"{tries} tries");
        var said = (await t.Store.GetTimelineAsync(1)).Where(e => e.Kind == TimelineKind.EffectFailed).Select(e => e.Text).ToList();
        Assert.Equal(["Still trying to page a responder after 3 tries: Twilio failed Messages.create (HTTP 503): Service Unavailable. Responders may not have been reached: reach them another way."], said);
        Assert.Single(posted, p => p.StartsWith(":warning: Still trying to page a responder after 3 tries", StringComparison.Ordinal));
    }

    /// <summary>
    /// Each rule's job runs in its provider's lane: an e-mail in the mail server's, an SMS or a call in the phone's, so
    /// neither provider, slow or hanging, holds back the other's pages.
    /// </summary>
    [Theory]
    [InlineData(NotificationRule.Sms, JobLane.Phone)]
    [InlineData(NotificationRule.Voice, JobLane.Phone)]
    [InlineData(NotificationRule.Email, JobLane.Email)]
    public void ARulesJob_IsInItsProvidersLane(string channel, JobLane lane) =>
        Assert.Equal(lane, EffectJob.Of(new NotifyJob(1, "U-DAVE", channel, 1, "INC-1:database:1:0:0", 0), T0).Lane);

    [Theory]
    [InlineData("pigeon 5m", "People:U-X:Notify:0: 'pigeon 5m' is not a rule")]
    [InlineData("sms soon", "People:U-X:Notify:0: 'sms soon': 'soon' is not a duration")]
    [InlineData("chat 5m", "the chat message goes at once")]
    [InlineData("email 5m", "People:U-X:Notify:0 'email 5m' needs People:U-X:Email.")]
    public void ABadRule_IsRefusedAtStart_NamingItsKey(string rule, string expected)
    {
        var options = new EscalationOptions { People = new() { ["U-X"] = new PersonOptions { Phone = "+15551230009", Notify = [rule] } } };

        var result = new EscalationOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }
}

public sealed class NotificationTestsInMemory() : NotificationTests(StoreEngine.Memory);
