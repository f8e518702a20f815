using Bot.Core.Chat;

namespace Bot.Core.Tests.Chat;

public class IncidentChannelNameTests
{
    private static readonly DateTimeOffset Created = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("HighErrorRate: 5xx above 20%", "inc-20230805-higherrorrate-5xx-above-20")]
    [InlineData("  Café   déjà vu!!  ", "inc-20230805-cafe-deja-vu")]
    [InlineData("DB_conn pool", "inc-20230805-db_conn-pool")]
    [InlineData("🔥🔥🔥", "inc-20230805-inc-7")]
    public void For_Title_FollowsSlackRules(string title, string expected)
    {
        var name = IncidentChannelName.For(title, Created, "INC-7");

        Assert.Equal(expected, name);
        Assert.Matches("^[a-z0-9_-]{1,80}$", name);
    }

    [Fact]
    public void For_LongTitle_IsCutTo80WithoutTrailingDash()
    {
        var name = IncidentChannelName.For(string.Join(" ", Enumerable.Repeat("word", 40)), Created, "INC-1");

        Assert.True(name.Length <= 80);
        Assert.False(name.EndsWith('-'));
    }

    [Fact]
    public void WithSuffix_AtMaxLength_StaysWithinLimit()
    {
        var name = new string('a', 80);

        Assert.Equal(new string('a', 78) + "-2", IncidentChannelName.WithSuffix(name, 2));
        Assert.Equal("inc-x-3", IncidentChannelName.WithSuffix("inc-x", 3));
    }
}
