using Bot.Slack.WebApi;

namespace Bot.Slack.Tests.WebApi;

/// <summary>Slack's per-method tiers, kept before calling: a minute's calls at once, then a call at a time, evenly.</summary>
public sealed class SlackMethodTiersTests
{
    /// <summary>
    /// Past its budget a method's call waits for the next call's share of the minute (0.6 s for users.info's 100 a
    /// minute), not for the minute's end. The budget was refilled a minute's worth at a time, so the call after a burst
    /// waited up to 60 s: a summary's refresh past its try's 30 s, a lane's slots held meanwhile.
    /// </summary>
    [Fact]
    public async Task PastItsBudget_ACallWaitsForTheNextCallsShareOfTheMinute_NotForTheMinutesEnd()
    {
        using var tiers = new SlackMethodTiers();
        for (var i = 0; i < SlackMethodTiers.LimitOf("users.info"); i++)
        {
            Assert.True(tiers.WaitAsync("users.info", CancellationToken.None).IsCompleted); // the burst: at once
        }

        await tiers.WaitAsync("users.info", CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Replicas share the workspace's tiers (<c>Slack:Replicas</c>): each keeps to its share, at least a call a minute, so
    /// two replicas at full speed stay within what Slack allows the app.
    /// </summary>
    [Fact]
    public void AReplica_KeepsToItsShareOfEachTier()
    {
        using var two = new SlackMethodTiers(replicas: 2);

        Assert.Equal((25, 10, null), (two.BudgetOf("chat.update"), two.BudgetOf("conversations.create"), two.BudgetOf("chat.postMessage")));
        Assert.Equal(1, new SlackMethodTiers(replicas: 64).BudgetOf("conversations.create"));
        Assert.Equal(50, new SlackMethodTiers().BudgetOf("chat.update"));
        for (var i = 0; i < 25; i++)
        {
            Assert.True(two.WaitAsync("chat.update", CancellationToken.None).IsCompleted); // its share at once
        }
    }

    [Fact]
    public void AMethodWithoutATier_NeverWaits()
    {
        using var tiers = new SlackMethodTiers();
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(tiers.WaitAsync("chat.postMessage", CancellationToken.None).IsCompleted); // paced by channel instead
        }
    }
}
