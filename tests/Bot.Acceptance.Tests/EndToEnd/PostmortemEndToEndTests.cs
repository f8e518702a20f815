using System.Net.Http.Json;
using System.Text.Json;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>Postmortem drafts written on resolve and on request, without GitHub settings (local folder).</summary>
public class PostmortemEndToEndTests
{
    private static Task<HttpResponseMessage> CommandAsync(BotServer bot, string path, string text) =>
        bot.Client.PostAsJsonAsync(path, new { user = "U1", userName = "alice", text });

    [Fact]
    public async Task Resolve_WritesTheDraft_AndPostsItsLinkInTheChannel_ThenPostmortemRefreshesIt()
    {
        await using var bot = await BotServer.StartAsync();
        await CommandAsync(bot, "/api/commands", "declare Checkout errors above 5% sev2");
        var channel = (await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("incident").GetProperty("channel").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(10),
            "the channel")).GetProperty("incident").GetProperty("channel").GetString()!;
        await CommandAsync(bot, "/api/incidents/INC-1/commands", "ack");
        await CommandAsync(bot, "/api/incidents/INC-1/commands", "resolve Rolled back the deploy");

        var folder = Path.Combine(bot.Folder, "repo", "postmortems");
        var file = await BotServer.EventuallyAsync(
            () => Task.FromResult(Directory.Exists(folder) ? Directory.GetFiles(folder, "*.md").SingleOrDefault() : null), f => f is not null, TimeSpan.FromSeconds(10), "the draft"); // not the .md.tmp it is written through
        Assert.Matches(@"postmortems/\d{4}-\d{2}-\d{2}-INC-1-checkout-errors-above-5\.md$", file!.Replace('\\', '/'));
        var draft = await File.ReadAllTextAsync(file);
        Assert.StartsWith("## Postmortem: INC-1 Checkout errors above 5%", draft);
        Assert.Contains("alice resolved the incident. Rolled back the deploy", draft);
        Assert.Contains("**Root Cause:** _[To fill: the root cause]_", draft);
        var chat = await BotServer.EventuallyAsync(
            () => Task.FromResult(File.ReadAllText(Path.Combine(bot.Folder, "chat", channel + ".jsonl"))), t => t.Contains("Postmortem draft of INC-1"), TimeSpan.FromSeconds(10), "the link");
        Assert.Contains(Path.GetFileName(file), chat);

        await CommandAsync(bot, "/api/incidents/INC-1/commands", "cause A config change shrank the DB pool");
        var refresh = await CommandAsync(bot, "/api/incidents/INC-1/commands", "postmortem");
        Assert.True(refresh.IsSuccessStatusCode);
        await BotServer.EventuallyAsync(
            () => File.ReadAllTextAsync(file), t => t.Contains("**Root Cause:** A config change shrank the DB pool"), TimeSpan.FromSeconds(10), "the refreshed draft");
        Assert.Single(Directory.GetFiles(folder, "*.md"));
    }
}

/// <summary>Tasks as GitHub issues and the draft as a pull request, through the running bot, against a stand-in GitHub.</summary>
public class GitHubFlowTests
{
    private static Task<HttpResponseMessage> CommandAsync(BotServer bot, string path, string text) =>
        bot.Client.PostAsJsonAsync(path, new { user = "U1", userName = "alice", text });

    private static Dictionary<string, string?> Settings(FakeGitHub github, string token = FakeGitHub.Token) => new()
    {
        ["GitHub:Token"] = token,
        ["GitHub:Repository"] = $"{FakeGitHub.Owner}/{FakeGitHub.Repo}",
        ["GitHub:ApiBaseUrl"] = github.ApiBaseUrl.ToString(),
        ["GitHub:Users:U2"] = "bob-gh",
    };

    private static async Task<string> ChannelAsync(BotServer bot) =>
        (await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("incident").GetProperty("channel").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(10),
            "the channel")).GetProperty("incident").GetProperty("channel").GetString()!;

    [Fact]
    public async Task Task_BecomesAnIssue_Tasks_ListsIt_AndResolve_OpensOnePullRequestListingIt()
    {
        await using var github = await FakeGitHub.StartAsync();
        await using var bot = await BotServer.StartAsync(Settings(github));
        await CommandAsync(bot, "/api/commands", "declare DDoS on the transaction API sev1");
        var channel = await ChannelAsync(bot);

        var reply = await CommandAsync(bot, "/api/incidents/INC-1/commands", "task preventive Write a DDoS response plan <@U2|bob>");
        Assert.True(reply.IsSuccessStatusCode);

        var chatFile = Path.Combine(bot.Folder, "chat", channel + ".jsonl");
        await BotServer.EventuallyAsync(() => Task.FromResult(File.ReadAllText(chatFile)), t => t.Contains(github.Url("issues/1")), TimeSpan.FromSeconds(10), "the issue link");
        var issue = Assert.Single(github.Issues);
        Assert.Equal("bob-gh", (string)issue["assignees"]![0]!["login"]!);
        Assert.Equal(["incident", "INC-1", "preventive", "SEV1"], issue["labels"]!.AsArray().Select(l => (string)l!["name"]!));

        github.Issues[0]["state"] = "closed";
        var tasks = await (await CommandAsync(bot, "/api/incidents/INC-1/commands", "tasks")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains($"1. [preventive] Write a DDoS response plan (for U2): closed {github.Url("issues/1")}", tasks.GetProperty("text").GetString());

        await CommandAsync(bot, "/api/incidents/INC-1/commands", "resolve Traffic filtered");
        await BotServer.EventuallyAsync(() => Task.FromResult(File.ReadAllText(chatFile)), t => t.Contains(github.Url("pull/2")), TimeSpan.FromSeconds(10), "the pull request link");
        var pull = Assert.Single(github.Pulls);
        Assert.Equal("postmortem/INC-1", (string)pull["head"]!["ref"]!);
        var draft = Assert.Single(github.Files, f => f.Key.Branch == "postmortem/INC-1").Value.Content;
        Assert.Contains($"Write a DDoS response plan ([issue]({github.Url("issues/1")})", draft);

        await CommandAsync(bot, "/api/incidents/INC-1/commands", "cause A DDoS attack");
        await CommandAsync(bot, "/api/incidents/INC-1/commands", "postmortem");
        await BotServer.EventuallyAsync(
            () => Task.FromResult(github.Files[("postmortem/INC-1", github.Files.Keys.Single(k => k.Branch == "postmortem/INC-1").Path)].Content),
            t => t.Contains("**Root Cause:** A DDoS attack"), TimeSpan.FromSeconds(10), "the updated draft");
        Assert.Single(github.Pulls);
    }

    [Fact]
    public async Task AlertText_InIssuesAndPullRequests_NotifiesNoOne_AndCarriesNoControlCharacters()
    {
        await using var github = await FakeGitHub.StartAsync();
        await using var bot = await BotServer.StartAsync(Settings(github));
        var title = @"DDoS, ask @acme/network or @carol \u0000NUL \u001B[31mESC \u202ERLO"; // JSON escapes: the alert carries the characters themselves
        await bot.PostWebhookAsync("generic", $$"""{"title":"{{title}}","severity":"critical"}""");
        var channel = await ChannelAsync(bot);
        var chatFile = Path.Combine(bot.Folder, "chat", channel + ".jsonl");

        await CommandAsync(bot, "/api/incidents/INC-1/commands", "task Ask @acme/security to block the attackers");
        await BotServer.EventuallyAsync(() => Task.FromResult(File.ReadAllText(chatFile)), t => t.Contains(github.Url("issues/1")), TimeSpan.FromSeconds(10), "the issue link");
        await CommandAsync(bot, "/api/incidents/INC-1/commands", "resolve Filtered");
        await BotServer.EventuallyAsync(() => Task.FromResult(github.Pulls.Count), n => n == 1, TimeSpan.FromSeconds(10), "the pull request");

        var body = (string)Assert.Single(github.Issues)["body"]!;
        Assert.Contains("ask @&#8203;acme/network or @&#8203;carol", body);
        var draft = Assert.Single(github.Files, f => f.Key.Branch == "postmortem/INC-1").Value.Content;
        Assert.Contains("@&#8203;acme/network", draft);
        Assert.Contains("@&#8203;acme/security", draft);
        var pullTitle = (string)github.Pulls[0]["title"]!;
        var texts = new[] { body, draft, pullTitle, string.Join("\n", github.Commits) };
        foreach (var text in texts)
        {
            Assert.DoesNotMatch(@"@(acme|carol)", text.Replace("@&#8203;", "").Replace("@\u200B", "")); // every mention defused
            Assert.DoesNotContain(text, c => c is '\0' or '\u001B' or '\u202E');
        }
    }

    [Fact]
    public async Task BadToken_IsToldInTheChannel_AndNotRetried()
    {
        await using var github = await FakeGitHub.StartAsync();
        await using var bot = await BotServer.StartAsync(Settings(github, token: "ghp_revoked"));
        await CommandAsync(bot, "/api/commands", "declare Checkout down sev2");
        var channel = await ChannelAsync(bot);

        await CommandAsync(bot, "/api/incidents/INC-1/commands", "task Add a circuit breaker");

        var chat = await BotServer.EventuallyAsync(
            () => Task.FromResult(File.ReadAllText(Path.Combine(bot.Folder, "chat", channel + ".jsonl"))), t => t.Contains("Could not file the task"), TimeSpan.FromSeconds(10), "the failure");
        Assert.Contains("GitHub:Token", chat);
        await bot.WaitForQuietOutboxAsync();
        Assert.Single(github.Requests, r => r.Path.Contains("/issues?", StringComparison.Ordinal)); // one try, not retried
        Assert.Empty(github.Issues);
    }
}
