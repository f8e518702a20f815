using Bot.Core.Effects;

namespace Bot.Core.Tests.Effects;

/// <summary>A claim's counts by lane, as the stores read them: by the lane's number (PostgreSQL's array, SQLite's arms).</summary>
public sealed class JobsWantedTests
{
    /// <summary>The stores index the counts by the lanes' numbers: every lane has one, from 0 without a gap, and each is run.</summary>
    [Fact]
    public void TheLanes_AreNumberedFromZeroWithoutAGap_AndEachIsRun()
    {
        Assert.Equal(Enumerable.Range(0, Enum.GetValues<JobLane>().Length), Enum.GetValues<JobLane>().Select(lane => (int)lane));
        Assert.Equal(Enum.GetValues<JobLane>().Order(), JobsWanted.Lanes.Order());
    }

    /// <summary>The lanes' names as the metrics' <c>lane</c> label, the alert rules and the dashboard read them; a newer version's lane by its number.</summary>
    [Fact]
    public void ALanesName_IsItsMetricsLabel()
    {
        Assert.Equal(["timers", "phone", "email", "webhooks", "chat_paging", "default", "summaries"], JobsWanted.Lanes.Select(lane => lane.Name()));
        Assert.Equal("8", ((JobLane)8).Name());
    }

    [Fact]
    public void Counts_ReadBackByLane_AndInTheLanesNumberOrder()
    {
        var wanted = JobsWanted.From(lane => 10 + (int)lane);

        Assert.All(Enum.GetValues<JobLane>(), lane => Assert.Equal(10 + (int)lane, wanted.Of(lane)));
        Assert.Equal([10, 11, 12, 13, 14, 15, 16], wanted.ByNumber());
        Assert.Equal([0, 3, 0, 0, 0, 0, 0], new JobsWanted(0, 3).ByNumber()); // the lanes after those given: none
        Assert.Equal(0, default(JobsWanted).Of(JobLane.Email));
        Assert.Throws<ArgumentOutOfRangeException>(() => new JobsWanted(1, 1, 1, 1, 1, 1, 1, 1));
    }
}
