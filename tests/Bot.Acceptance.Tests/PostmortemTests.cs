using System.Net.Http.Json;
using System.Text.Json;

namespace Bot.Acceptance.Tests;

/// <summary>Postmortem drafts written on resolve and on request, without GitHub settings (local folder).</summary>
public class PostmortemTests
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
            () => Task.FromResult(Directory.Exists(folder) ? Directory.GetFiles(folder).SingleOrDefault() : null), f => f is not null, TimeSpan.FromSeconds(10), "the draft");
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
        Assert.Single(Directory.GetFiles(folder));
    }
}
