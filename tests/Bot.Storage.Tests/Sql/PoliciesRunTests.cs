using Bot.Storage.Sql;

namespace Bot.Storage.Tests.Sql;

/// <summary>The policies the writers saw committed as run on an incident, which spare a joining webhook its escalations read.</summary>
public sealed class PoliciesRunTests
{
    /// <summary>A policy is known to have run on an incident once a transaction that saw it committed; never another incident's, whatever the case.</summary>
    [Fact]
    public void APolicyRan_OnTheIncidentItWasSeenOn_OnceCommitted()
    {
        var run = new PoliciesRun();
        Assert.False(run.Ran(1, "network"));

        run.Committed([(1, "Network")]);

        Assert.True(run.Ran(1, "network"));
        Assert.True(run.Ran(1, "NETWORK"));
        Assert.False(run.Ran(2, "network"));
        Assert.False(run.Ran(1, "security"));
    }

    /// <summary>Bounded: past <see cref="PoliciesRun.MaxFacts"/> the set starts again with the newest (the rest are read again when asked).</summary>
    [Fact]
    public void PastItsBound_TheSetStartsAgain_WithTheNewest()
    {
        var run = new PoliciesRun();
        run.Committed(Enumerable.Range(1, PoliciesRun.MaxFacts).Select(n => ((long)n, "network")));
        Assert.Equal(PoliciesRun.MaxFacts, run.Count);

        run.Committed([(PoliciesRun.MaxFacts + 1L, "network")]);

        Assert.Equal(1, run.Count);
        Assert.True(run.Ran(PoliciesRun.MaxFacts + 1L, "network"));
        Assert.False(run.Ran(1, "network"));
    }
}
