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
