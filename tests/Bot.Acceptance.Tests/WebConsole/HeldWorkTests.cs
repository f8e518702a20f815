using Bot.Core.Incidents;
using Bot.WebConsole;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// When the console says that pages or the bot's other work are held: from each lane's oldest job not done, against the
/// thresholds of the alert rules (a page or timer 1 min, a channel, message, summary or GitHub job 15 min).
/// </summary>
public sealed class HeldWorkTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 3, 0, 0, TimeSpan.Zero);

    private static StoreStats Undone(params (string Lane, TimeSpan Ago)[] lanes) =>
        new([], [], []) { OldestUndoneByLane = [.. lanes.Select(l => new LaneDue(l.Lane, Now - l.Ago))] };

    private static IReadOnlyList<HeldWork.Notice> Find(StoreStats? stats, ConsoleOptions? options = null) => HeldWork.Find(stats, Now, options ?? new ConsoleOptions());

    [Fact]
    public void NothingIsSaid_BeforeTheCountsAreRead_OrWhileEveryLaneIsWithinItsTime()
    {
        Assert.Empty(Find(null));
        Assert.Empty(Find(Undone()));
        Assert.Empty(Find(Undone(("phone", TimeSpan.FromSeconds(59)), ("timers", TimeSpan.FromSeconds(30)), ("default", TimeSpan.FromMinutes(14)))));
    }

    [Fact]
    public void APageHeldAMinute_IsSaid_WithHowLongAndThatResponders_MayNotHaveBeenReached()
    {
        var held = Assert.Single(Find(Undone(("phone", TimeSpan.FromMinutes(4)), ("email", TimeSpan.FromSeconds(10)))));

        Assert.Equal(("phone", TimeSpan.FromMinutes(4)), (held.Lane, held.HeldFor));
        Assert.StartsWith("Pages by SMS and phone call have waited 4 min to go out: the phone provider answers slowly", held.Text);
        Assert.Contains("Responders may not have been reached", held.Text);
    }

    [Fact]
    public void ChannelsAndGitHub_AreSaidAfterFifteenMinutes_AfterThePages_AndTheLongestHeldPageFirst()
    {
        var held = Find(Undone(
            ("default", TimeSpan.FromMinutes(20)), ("email", TimeSpan.FromMinutes(2)), ("timers", TimeSpan.FromMinutes(3)), ("chat_paging", TimeSpan.FromMinutes(1)), ("webhooks", TimeSpan.FromSeconds(90))));

        Assert.Equal(["timers", "email", "webhooks", "chat_paging", "default"], held.Select(h => h.Lane));
        Assert.StartsWith("The bot's timers (escalation steps, heartbeat checks) are 3 min late", held[0].Text);
        Assert.StartsWith("Pages by e-mail have waited 2 min to go out", held[1].Text);
        Assert.StartsWith("Outgoing webhooks have waited 1 min to be delivered", held[2].Text);
        Assert.StartsWith("Pages by chat (direct messages, group mentions) have waited 1 min", held[3].Text);
        Assert.StartsWith("Incident channels, messages and GitHub issues and pull requests have waited 20 min", held[4].Text);
    }

    /// <summary>The summaries' refreshes are no page: waiting for the chat's budget of updates they are said after 15 minutes, with the channels.</summary>
    [Fact]
    public void ThePinnedSummaries_AreSaidAfterFifteenMinutes_AsTheChannelsAre_NotAsAPage()
    {
        Assert.Empty(Find(Undone(("summaries", TimeSpan.FromMinutes(14)))));

        var held = Find(Undone(("summaries", TimeSpan.FromMinutes(16)), ("default", TimeSpan.FromMinutes(20)), ("phone", TimeSpan.FromMinutes(2))));

        Assert.Equal(["phone", "default", "summaries"], held.Select(h => h.Lane));
        Assert.StartsWith("The incidents' pinned summaries have waited 16 min to be brought up to date: the chat service answers slowly", held[2].Text);
    }

    [Fact]
    public void TheThresholds_AreTheSettings()
    {
        var options = new ConsoleOptions { HeldPagesAfter = TimeSpan.FromMinutes(5), HeldWorkAfter = TimeSpan.FromMinutes(2) };

        var held = Find(Undone(("phone", TimeSpan.FromMinutes(4)), ("default", TimeSpan.FromMinutes(3))), options);

        Assert.Equal("default", Assert.Single(held).Lane);
    }

    [Fact]
    public void ANewerVersionsLane_DuringARollingUpgrade_IsSaidByItsName()
    {
        var held = Assert.Single(Find(Undone(("9", TimeSpan.FromMinutes(2)))));

        Assert.Equal("The bot's 9 work has waited 2 min.", held.Text);
    }
}
