using Bot.Core.Incidents;
using Bot.Storage.Sql;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// The groups a batch reads ahead come in the order every writer locks them: by key, ordinally, whatever order their
/// units were queued in (a writer's own queue is sorted already; the shared queue's batches are not), so that two
/// transactions never lock two incidents the other way round.
/// </summary>
public sealed class GroupReadAheadTests
{
    [Fact]
    public void UnreadGroups_ComeInTheKeysOrdinalOrder_EachWithEveryAlertWanted_AndReadOnesLeftOut()
    {
        var ahead = new GroupReadAhead();
        ahead.Want("am:group:b", ["b1"]);
        ahead.Want("am:group:B", ["B1"]); // 'B' < 'a' < 'b' ordinally; a culture's order puts it after 'a'
        ahead.Want("am:group:a", ["a1"]);
        ahead.Want("am:group:b", ["b2"]);
        ahead.Want("am:group:c", ["c1"]);
        ahead.Read("am:group:c", 0, null, new HashSet<string> { "c1" }, new Dictionary<string, KnownAlert>());

        var unread = ahead.Unread();

        Assert.Equal(["am:group:B", "am:group:a", "am:group:b"], unread.Select(u => u.Group));
        Assert.Equal(["b1", "b2"], unread[2].Wanted.Order(StringComparer.Ordinal));
    }
}
