using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Bot.Core.Tests.Tasks;

/// <summary>/incident task and /incident tasks: stored with the timeline, filed once by a durable job, link posted.</summary>
public abstract class FileTaskTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly Actor Alice = new("U1", "alice");

    private sealed class Harness
    {
        public Harness(TestStore t)
        {
            T = t;
            Chat.Setup(c => c.PostAsync(It.IsAny<string>(), It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => Posts.Add(ChatText.Shown(m.Text)))
                .ReturnsAsync(new ChatMessageRef("C1", "1"));
            Commands = new IncidentCommands(t.Store, t.Store, new IncidentRules(Options.Create(new IncidentOptions())), t.Time, Tracker.Object);
            Dispatcher = new TestPipeline(t, Chat.Object, tracker: Tracker.Object).Dispatcher;
        }

        public TestStore T { get; }

        public Mock<IChat> Chat { get; } = new();

        public Mock<IIssueTracker> Tracker { get; } = new(MockBehavior.Strict);

        public List<string> Posts { get; } = [];

        public IncidentCommands Commands { get; }

        public OutboxDispatcher Dispatcher { get; }

        public Task<CommandReply> RunAsync(string text) => Commands.ExecuteAsync(text, new CommandContext(Alice, 1));

        public async Task DrainAsync()
        {
            for (var i = 0; i < 20; i++)
            {
                T.Time.Advance(TimeSpan.FromMinutes(10));
                await Dispatcher.RunOnceAsync(CancellationToken.None);
            }
        }

        public async Task OpenIncidentWithChannelAsync()
        {
            await T.Store.WriteAsync(s =>
            {
                var (incident, opened) = Incident.Open("DDoS on the transaction API", Severity.Sev1, "manual", "g", Alice, "declared", s.Now);
                s.InsertIncident(incident);
                s.AppendTimeline(incident.Number, opened);
                s.AppendTimeline(incident.Number, incident.AttachChannel("C1", "inc-20230805-ddos", s.Now));
                s.UpdateIncident(incident);
                return true;
            });
        }
    }

    [Fact]
    public async Task Task_IsStoredOnTheTimeline_FiledOnce_AndItsLinkPostedAndKept()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();
        IssueRequest? sent = null;
        h.Tracker.Setup(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()))
            .Callback<IssueRequest, CancellationToken>((r, _) => sent = r)
            .ReturnsAsync(new FiledIssue("https://github.test/acme/infra/issues/7", "open"));

        var reply = await h.RunAsync("task preventive \"Write a DDoS response plan\" <@U2|bob>");
        await h.DrainAsync();

        Assert.True(reply.Ok, reply.Text);
        Assert.Contains("preventive task 1 for bob", reply.Text);
        h.Tracker.Verify(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Equal(("INC-1/task-1", "INC-1"), (sent!.Marker, sent.Group));
        Assert.Equal(["incident", "INC-1", "preventive", "SEV1"], sent.Labels);
        Assert.Equal("U2", sent.Assignee);
        Assert.Contains("#inc-20230805-ddos", sent.Body);
        var task = Assert.Single(await t.Store.GetTasksAsync(1));
        Assert.Equal(("https://github.test/acme/infra/issues/7", "open", "U2"), (task.Url, task.State, task.Assignee));
        Assert.Contains(h.Posts, p => p.Contains("https://github.test/acme/infra/issues/7"));
        var timeline = await t.Store.GetTimelineAsync(1);
        Assert.Contains(timeline, e => e.Kind == TimelineKind.Task && e.Author == Alice && e.Text.Contains("Write a DDoS response plan"));
        Assert.Contains(timeline, e => e.Kind == TimelineKind.Task && e.Text.Contains("issues/7"));
    }

    [Fact]
    public async Task Task_WhenTheTrackerFailsThenRecovers_IsFiledOnceWithTheSameMarker()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();
        var markers = new List<string>();
        h.Tracker.SetupSequence(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("connection refused"))
            .ThrowsAsync(new RetryLaterException("rate limited", TimeSpan.FromMinutes(5)))
            .ReturnsAsync(new FiledIssue("https://github.test/i/1", "open"));
        h.Tracker.Setup(x => x.GetStateAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync("open");

        await h.RunAsync("task Add traffic filtering");
        await h.DrainAsync();

        h.Tracker.Verify(x => x.FileAsync(It.Is<IssueRequest>(r => r.Marker == "INC-1/task-1"), It.IsAny<CancellationToken>()), Times.Exactly(3));
        Assert.Equal("https://github.test/i/1", Assert.Single(await t.Store.GetTasksAsync(1)).Url);
        Assert.Single(h.Posts, p => p.Contains("https://github.test/i/1"));
    }

    [Fact]
    public async Task Task_RefusedForGood_IsToldInTheChannel_AndNotRetried()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();
        h.Tracker.Setup(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new PermanentEffectException("GitHub refused the token (GitHub:Token): Bad credentials"));

        await h.RunAsync("task corrective Rate limits on the API");
        await h.DrainAsync();

        h.Tracker.Verify(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Contains(h.Posts, p => p.Contains("Could not file the task as an issue") && p.Contains("GitHub:Token"));
        Assert.Contains(await t.Store.GetTimelineAsync(1), e => e.Kind == TimelineKind.EffectFailed && e.Text.Contains("GitHub:Token"));
        var task = Assert.Single(await t.Store.GetTasksAsync(1)); // kept: the people can file it by hand
        Assert.Null(task.Url);
    }

    [Fact]
    public async Task Tasks_ListsEachWithTheTrackersCurrentState_OrTheStoredOneWhenItIsSlow()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();
        var n = 0;
        h.Tracker.Setup(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new FiledIssue($"https://github.test/i/{++n}", "open"));
        h.Tracker.Setup(x => x.GetStateAsync("https://github.test/i/1", It.IsAny<CancellationToken>())).ReturnsAsync("closed");
        h.Tracker.Setup(x => x.GetStateAsync("https://github.test/i/2", It.IsAny<CancellationToken>()))
            .Returns<string, CancellationToken>(async (_, ct) => { await Task.Delay(TimeSpan.FromSeconds(30), ct); return "never"; });

        await h.RunAsync("task One");
        await h.RunAsync("task preventive Two");
        await h.DrainAsync();
        await h.RunAsync("task Three");
        var reply = await h.RunAsync("tasks");

        Assert.True(reply.Ok);
        var lines = reply.Text.Split('\n');
        Assert.Equal("Tasks of INC-1:", lines[0]);
        Assert.Equal("1. [corrective] One: closed https://github.test/i/1", lines[1]);
        Assert.Equal("2. [preventive] Two: open https://github.test/i/2", lines[2]);
        Assert.Equal("3. [corrective] Three: not filed yet", lines[3]);
    }

    [Fact]
    public async Task Task_GoesIntoThePostmortemDraft_WithItsLink()
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();
        h.Tracker.Setup(x => x.FileAsync(It.IsAny<IssueRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(new FiledIssue("https://github.test/i/1", "open"));
        var publisher = new Mock<IPostmortemPublisher>();
        PostmortemDraft? draft = null;
        publisher.Setup(p => p.PublishAsync(It.IsAny<PostmortemDraft>(), It.IsAny<CancellationToken>()))
            .Callback<PostmortemDraft, CancellationToken>((d, _) => draft = d).ReturnsAsync("https://github.test/pull/2");
        var dispatcher = new TestPipeline(t, h.Chat.Object, tracker: h.Tracker.Object, publisher: publisher.Object).Dispatcher;

        await h.RunAsync("resolve");
        await h.RunAsync("task preventive Write a DDoS response plan"); // after the resolve's draft: the filed link refreshes it
        for (var i = 0; i < 5; i++)
        {
            t.Time.Advance(TimeSpan.FromMinutes(1));
            await dispatcher.RunOnceAsync(CancellationToken.None);
        }

        Assert.Contains("1. Write a DDoS response plan ([issue](https://github.test/i/1), open)", draft!.Markdown);
        Assert.Equal("DDoS on the transaction API", draft.Title);
    }

    [Theory]
    [InlineData("task", "The task's title is missing.")]
    [InlineData("task preventive", "The task's title is missing.")]
    [InlineData("task @bob", "The task's title is missing.")]
    public async Task Task_WithoutTitle_IsRefusedWithUsage_AndNothingStored(string text, string why)
    {
        await using var t = NewStore();
        var h = new Harness(t);
        await h.OpenIncidentWithChannelAsync();

        var reply = await h.RunAsync(text);

        Assert.False(reply.Ok);
        Assert.StartsWith(why, reply.Text);
        Assert.Contains("Usage: /incident task [corrective|preventive] <title> [@user]", reply.Text);
        Assert.Empty(await t.Store.GetTasksAsync(1));
    }
}

public sealed class FileTaskTestsInMemory() : FileTaskTests(StoreEngine.Memory);
