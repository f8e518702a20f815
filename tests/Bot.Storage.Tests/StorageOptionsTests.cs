namespace Bot.Storage.Tests;

/// <summary>How many writers a PostgreSQL replica starts when the settings do not say.</summary>
public sealed class StorageOptionsTests
{
    [Theory]
    [InlineData(1, 1)] // a CPU limit of one core or less: the runtime counts one
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(16, 2)]
    public void UnsetWriters_FollowTheCpusTheProcessMayUse(int processors, int writers) =>
        Assert.Equal(writers, StorageOptions.DefaultWriters(processors));

    [Fact]
    public void SetWriters_AreTaken_AsSet() => Assert.Equal(5, new StorageOptions { Writers = 5 }.EffectiveWriters);
}
