using Bot.Core.Effects;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Tasks;
using Bot.GitHub.GitHub;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bot.GitHub.Tests.GitHub;

/// <summary>The Octokit adapters against a local HTTP server standing in for GitHub.</summary>
public class GitHubAdapterTests
{
    private static GitHubOptions Options(FakeGitHub github, string token = FakeGitHub.Token, string repo = $"{FakeGitHub.Owner}/{FakeGitHub.Repo}", TimeSpan? timeout = null) => new()
    {
        Token = token,
        Repository = repo,
        ApiBaseUrl = github.ApiBaseUrl,
        Users = new() { ["U1"] = "octocat", ["U9"] = "ghost-user" },
        RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
    };

    private static GitHubIssueTracker Tracker(GitHubOptions o) => new(Microsoft.Extensions.Options.Options.Create(o), TimeProvider.System, NullLogger<GitHubIssueTracker>.Instance);

    private static GitHubPullRequestPublisher Publisher(GitHubOptions o) => new(Microsoft.Extensions.Options.Options.Create(o), TimeProvider.System, NullLogger<GitHubPullRequestPublisher>.Instance);

    private static IssueRequest Task1(string? assignee = "U1") =>
        new("INC-42/task-1", "INC-42", "Write a DDoS response plan", "Preventive task from incident **INC-42**.", ["incident", "INC-42", "preventive", "SEV1"], assignee);

    [Theory]
    [InlineData("/")]
    [InlineData("/prefix/")]
    public async Task Issue_IsFiledAtTheBaseAddressAsGiven_WithLabelsMarkerAssigneeAndOurHeaders(string prefix)
    {
        await using var github = await FakeGitHub.StartAsync(prefix);

        var filed = await Tracker(Options(github)).FileAsync(Task1(), CancellationToken.None);

        Assert.Equal(github.Url("issues/1"), filed.Url);
        Assert.Equal("open", filed.State);
        var issue = Assert.Single(github.Issues);
        Assert.Equal("Write a DDoS response plan", (string)issue["title"]!);
        Assert.Equal(["incident", "INC-42", "preventive", "SEV1"], issue["labels"]!.AsArray().Select(l => (string)l!["name"]!));
        Assert.Equal("octocat", (string)issue["assignees"]![0]!["login"]!);
        Assert.Contains("<!-- incident-bot:INC-42/task-1 -->", (string)issue["body"]!);
        Assert.All(github.Requests, r => Assert.StartsWith($"{prefix}repos/acme/infra", r.Path));
        Assert.All(github.Requests, r => Assert.Equal($"Token {FakeGitHub.Token}", r.Authorization));
        Assert.All(github.Requests, r => Assert.StartsWith("incident-bot/", r.UserAgent));
    }

    [Fact]
    public async Task Issue_WhoseAnswerTimedOutAfterGitHubMadeIt_IsFoundNotFiledTwice()
    {
        await using var github = await FakeGitHub.StartAsync();
        var tracker = Tracker(Options(github, timeout: TimeSpan.FromSeconds(2)));
        github.AnswerLate("POST issues", TimeSpan.FromSeconds(8)); // past the timeout, which the first calls of a cold process must not reach

        await Assert.ThrowsAnyAsync<Exception>(() => tracker.FileAsync(Task1(), CancellationToken.None));
        Assert.Single(github.Issues); // GitHub did make it
        var retried = await tracker.FileAsync(Task1(), CancellationToken.None);

        Assert.Single(github.Issues);
        Assert.Equal(github.Url("issues/1"), retried.Url);
        Assert.Equal(1, github.Count("POST", "/issues"));
    }

    [Fact]
    public async Task Issue_ForAnotherTaskOfTheSameIncident_IsFiledSeparately()
    {
        await using var github = await FakeGitHub.StartAsync();
        var tracker = Tracker(Options(github));

        await tracker.FileAsync(Task1(), CancellationToken.None);
        var second = await tracker.FileAsync(Task1() with { Marker = "INC-42/task-2", Title = "Traffic analysis tools" }, CancellationToken.None);

        Assert.Equal(2, github.Issues.Count);
        Assert.Equal(github.Url("issues/2"), second.Url);
    }

    [Theory]
    [InlineData(403, "Retry-After", "30", 30)]
    [InlineData(429, "Retry-After", "7", 7)]
    public async Task SecondaryRateLimit_ComesBackAfterRetryAfter(int status, string header, string value, int seconds)
    {
        await using var github = await FakeGitHub.StartAsync();
        github.Fail("POST issues", status, 1, (header, value));

        var e = await Assert.ThrowsAsync<RetryLaterException>(() => Tracker(Options(github)).FileAsync(Task1(), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(seconds), e.After);
        Assert.Empty(github.Issues);
    }

    [Fact]
    public async Task PrimaryRateLimit_ComesBackAtTheReset()
    {
        await using var github = await FakeGitHub.StartAsync();
        var reset = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        github.Fail("GET issues", 403, 1, ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var e = await Assert.ThrowsAsync<RetryLaterException>(() => Tracker(Options(github)).FileAsync(Task1(), CancellationToken.None));

        Assert.InRange(e.After!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10.1));
    }

    [Fact]
    public async Task ServerError_IsRetriedByTheOutbox_NotPermanent()
    {
        await using var github = await FakeGitHub.StartAsync();
        github.Fail("POST issues", 502);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => Tracker(Options(github)).FileAsync(Task1(), CancellationToken.None));

        Assert.IsNotType<PermanentEffectException>(e);
        Assert.IsNotType<RetryLaterException>(e);
        var filed = await Tracker(Options(github)).FileAsync(Task1(), CancellationToken.None);
        Assert.Equal(github.Url("issues/1"), filed.Url);
    }

    [Fact]
    public async Task BadToken_FailsForGood_NamingTheSetting()
    {
        await using var github = await FakeGitHub.StartAsync();

        var e = await Assert.ThrowsAsync<PermanentEffectException>(() => Tracker(Options(github, token: "wrong")).FileAsync(Task1(), CancellationToken.None));

        Assert.Contains("GitHub:Token", e.Message);
        Assert.Empty(github.Issues);
    }

    [Fact]
    public async Task MissingRepository_FailsForGood_NamingTheSetting()
    {
        await using var github = await FakeGitHub.StartAsync();

        var e = await Assert.ThrowsAsync<PermanentEffectException>(() => Tracker(Options(github, repo: "acme/nope")).FileAsync(Task1(), CancellationToken.None));

        Assert.Contains("acme/nope", e.Message);
        Assert.Contains("GitHub:Repository", e.Message);
    }

    [Fact]
    public async Task AssigneeGitHubRefuses_IsFiledUnassigned_AndSaysSo()
    {
        await using var github = await FakeGitHub.StartAsync();

        var filed = await Tracker(Options(github)).FileAsync(Task1(assignee: "U9"), CancellationToken.None);

        var issue = Assert.Single(github.Issues);
        Assert.Empty(issue["assignees"]!.AsArray());
        Assert.Contains("ghost-user could not be assigned", (string)issue["body"]!);
        Assert.Equal(github.Url("issues/1"), filed.Url);
    }

    [Fact]
    public async Task UnmappedAssignee_IsFiledUnassigned()
    {
        await using var github = await FakeGitHub.StartAsync();

        await Tracker(Options(github)).FileAsync(Task1(assignee: "U404"), CancellationToken.None);

        Assert.Empty(Assert.Single(github.Issues)["assignees"]!.AsArray());
    }

    [Fact]
    public async Task State_IsReadFromGitHub()
    {
        await using var github = await FakeGitHub.StartAsync();
        var tracker = Tracker(Options(github));
        var filed = await tracker.FileAsync(Task1(), CancellationToken.None);
        github.Issues[0]["state"] = "closed";

        Assert.Equal("closed", await tracker.GetStateAsync(filed.Url, CancellationToken.None));
    }

    [Fact]
    public async Task Postmortem_FirstPublish_MakesBranchFileAndOnePullRequest()
    {
        await using var github = await FakeGitHub.StartAsync();
        var draft = new PostmortemDraft("INC-42", "DDoS", "postmortems/2023-08-05-INC-42-ddos.md", "## Postmortem\n\nfirst\n");

        var url = await Publisher(Options(github)).PublishAsync(draft, CancellationToken.None);

        Assert.Equal(github.Url("pull/1"), url);
        Assert.True(github.Branches.ContainsKey("postmortem/INC-42"));
        Assert.Equal("## Postmortem\n\nfirst\n", github.Files[("postmortem/INC-42", draft.Path)].Content);
        Assert.False(github.Files.ContainsKey(("main", draft.Path)));
        var pull = Assert.Single(github.Pulls);
        Assert.Equal("postmortem/INC-42", (string)pull["head"]!["ref"]!);
        Assert.Equal("main", (string)pull["base"]!["ref"]!);
        Assert.Contains("INC-42", (string)pull["title"]!);
    }

    [Fact]
    public async Task Postmortem_PublishedAgain_UpdatesTheSamePullRequest_AndCommitsOnlyChanges()
    {
        await using var github = await FakeGitHub.StartAsync();
        var publisher = Publisher(Options(github));
        var draft = new PostmortemDraft("INC-42", "DDoS", "postmortems/x.md", "first\n");

        var first = await publisher.PublishAsync(draft, CancellationToken.None);
        var second = await publisher.PublishAsync(draft with { Markdown = "second\n" }, CancellationToken.None);
        var third = await publisher.PublishAsync(draft with { Markdown = "second\n" }, CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Single(github.Pulls);
        Assert.Equal("second\n", github.Files[("postmortem/INC-42", "postmortems/x.md")].Content);
        Assert.Equal(2, github.Commits.Count); // the unchanged third publish commits nothing
    }

    [Fact]
    public async Task Postmortem_WhosePullRequestAnswerWasLost_IsNotOpenedTwice()
    {
        await using var github = await FakeGitHub.StartAsync();
        var publisher = Publisher(Options(github, timeout: TimeSpan.FromSeconds(2)));
        var draft = new PostmortemDraft("INC-42", "DDoS", "postmortems/x.md", "first\n");
        github.AnswerLate("POST pulls", TimeSpan.FromSeconds(8));

        await Assert.ThrowsAnyAsync<Exception>(() => publisher.PublishAsync(draft, CancellationToken.None));
        var url = await publisher.PublishAsync(draft, CancellationToken.None);

        Assert.Single(github.Pulls);
        Assert.Equal(github.Url("pull/1"), url);
        Assert.Single(github.Commits);
    }

    [Fact]
    public async Task Postmortem_ToAConfiguredBaseBranchThatDoesNotExist_FailsForGood_NamingTheSetting()
    {
        await using var github = await FakeGitHub.StartAsync();
        var options = Options(github);
        options.BaseBranch = "release";

        var e = await Assert.ThrowsAsync<PermanentEffectException>(() => Publisher(options).PublishAsync(new PostmortemDraft("INC-1", "x", "p/x.md", "x"), CancellationToken.None));

        Assert.Contains("GitHub:BaseBranch", e.Message);
    }
}
