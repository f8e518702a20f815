using System.Net.Http.Json;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>The running bot fires escalation steps when they fall due, not at its next poll.</summary>
public class EscalationTimerTests
{
    [Fact]
    public async Task NextStep_FiresAtItsDueTime_EvenWithALongPollInterval()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Outbox:PollInterval"] = "00:01:00",
            ["Teams:db:Members:0:Id"] = "U1",
            ["Teams:db:Members:1:Id"] = "U2",
            ["EscalationPolicies:db:Steps:0:Targets:0"] = "user:U1",
            ["EscalationPolicies:db:Steps:0:Wait"] = "2s",
            ["EscalationPolicies:db:Steps:1:Targets:0"] = "user:U2",
            ["EscalationPolicies:db:Steps:1:Wait"] = "1h",
        });

        var declared = DateTime.UtcNow;
        var reply = await bot.Client.PostAsJsonAsync("/api/commands", new { user = "U9", userName = "alice", text = "declare DB down sev2 db" });
        Assert.True(reply.IsSuccessStatusCode);

        var dm = Path.Combine(bot.Folder, "chat", "dm-u2.jsonl");
        await BotServer.EventuallyAsync(() => Task.FromResult(File.Exists(dm)), x => x, TimeSpan.FromSeconds(20), "the step-2 page");
        Assert.InRange(DateTime.UtcNow - declared, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(15)); // not the 60 s poll
        Assert.True(File.Exists(Path.Combine(bot.Folder, "chat", "dm-u1.jsonl")));
    }
}
