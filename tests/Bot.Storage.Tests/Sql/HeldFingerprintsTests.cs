using Bot.Storage.Sql;
using static Bot.TestKit.Alerts;

namespace Bot.Storage.Tests.Sql;

/// <summary>The filter of the fingerprints an open incident holds, which lets a new alert's lookup be skipped.</summary>
public sealed class HeldFingerprintsTests
{
    /// <summary>
    /// Grown through six layers (1,024 fingerprints, then four times as many each), the filter never says "not held" of
    /// a fingerprint it holds, and says "maybe" of under 0.15% of those it does not (a lookup made for nothing; the
    /// fingerprints and the hash are fixed, so the count is too: 137 of 100,000; with 10 bits a fingerprint first, as
    /// before, 1,377, which fails here).
    /// </summary>
    [Fact]
    public void AGrowingFilter_NeverDeniesAFingerprintItHolds_AndRarelyClaimsOneItDoesNot()
    {
        var filter = new FingerprintFilter();
        const int Held = 400_000;
        for (var i = 0; i < Held; i++)
        {
            filter.Add(HashedFingerprint(i));
        }

        Assert.Equal(Held, filter.Count);
        Assert.All(Enumerable.Range(0, Held).Where(i => i % 7 == 0), i => Assert.True(filter.MightHold(HashedFingerprint(i))));
        var claimed = Enumerable.Range(Held, 100_000).Count(i => filter.MightHold(HashedFingerprint(i)));
        Assert.InRange(claimed, 0, 150);
    }

    /// <summary>
    /// A group's filter is trusted only once its incident's opening committed, with the count it committed; an alert of
    /// another incident of the group is not added to it; a closed older incident does not drop the open one's filter.
    /// </summary>
    [Fact]
    public void AGroupsFilter_IsTrustedFromItsCommit_ForItsOwnIncidentOnly()
    {
        var held = new HeldFingerprints();
        held.Opened("g1", 7, DateTimeOffset.UnixEpoch);
        held.Inserted("g1", 7, "a1", DateTimeOffset.UnixEpoch);
        Assert.Null(held.Expect("g1")); // not committed yet

        held.Committed("g1", 7, 1);
        held.Inserted("g1", 6, "old", DateTimeOffset.UnixEpoch); // an alert of an earlier incident of the group
        held.Committed("g1", 6, 40);
        var expected = Assert.IsType<HeldFingerprints.Expected>(held.Expect("g1"));
        Assert.Equal((7, 1), (expected.Number, expected.Count));
        var (lookups, absent) = (new List<string>(), new List<string>());
        held.Sort(expected, ["a1", "old", "a2"], lookups, absent);
        Assert.Equal(["a1"], lookups);
        Assert.Equal(["old", "a2"], absent);
        Assert.Equal(2, held.Skipped);

        held.Forget("g1", 6);
        Assert.NotNull(held.Expect("g1"));
        held.Forget("g1", 7);
        Assert.Null(held.Expect("g1"));
    }

    /// <summary>
    /// A filter is rebuilt for a group without one whose incident holds at most <see cref="HeldFingerprints.MaxRebuilt"/>
    /// alerts (the read holds the writer's batch), not while the group has one, and not for
    /// <see cref="HeldFingerprints.NoRebuildFor"/> after another writer moved its count; a rebuilt filter is trusted at once.
    /// </summary>
    [Fact]
    public void AFilterIsRebuilt_ForASmallEnoughIncident_NotForAWhileAfterAnotherWriterMovedItsCount()
    {
        var held = new HeldFingerprints();
        var now = DateTimeOffset.UnixEpoch;
        Assert.True(held.MayRebuild("g1", HeldFingerprints.MaxRebuilt, now));
        Assert.False(held.MayRebuild("g1", HeldFingerprints.MaxRebuilt + 1, now));

        held.Rebuilt("g1", 7, 2, ["a1", "a2"], now);
        var expected = Assert.IsType<HeldFingerprints.Expected>(held.Expect("g1"));
        Assert.Equal((7, 2), (expected.Number, expected.Count));
        Assert.False(held.MayRebuild("g1", 2, now));

        held.Moved("g1", 7, now);
        Assert.Null(held.Expect("g1"));
        Assert.False(held.MayRebuild("g1", 3, now + HeldFingerprints.NoRebuildFor - TimeSpan.FromSeconds(1)));
        Assert.True(held.MayRebuild("g1", 3, now + HeldFingerprints.NoRebuildFor));
    }

    /// <summary>
    /// At most <see cref="HeldFingerprints.MaxGroups"/> groups have a filter, so the memory they take is bounded; a newly
    /// opened incident's group always gets one (older groups' go: some may be of incidents another replica closed).
    /// </summary>
    [Fact]
    public void Filters_AreKeptForABoundedNumberOfGroups_TheNewestAlways()
    {
        var held = new HeldFingerprints();
        for (var i = 0; i < HeldFingerprints.MaxGroups + 10; i++)
        {
            held.Opened($"g{i}", i + 1, DateTimeOffset.UnixEpoch);
            held.Committed($"g{i}", i + 1, 1);
        }

        Assert.InRange(held.Count, HeldFingerprints.MaxGroups * 7 / 8, HeldFingerprints.MaxGroups);
        Assert.NotNull(held.Expect($"g{HeldFingerprints.MaxGroups + 9}"));
    }

    /// <summary>
    /// Past <see cref="HeldFingerprints.MaxGroups"/>, the filters that go are those used longest ago: a busy group (read
    /// by every batch) keeps its filter while three times as many incidents open in other groups. Pushed out at random,
    /// it lost it (and was rebuilt from its every alert at its next webhook): this failed then.
    /// </summary>
    [Fact]
    public void ABusyGroup_KeepsItsFilter_WhileManyMoreIncidentsOpen()
    {
        var held = new HeldFingerprints();
        var now = DateTimeOffset.UnixEpoch;
        held.Opened("busy", 1, now);
        held.Committed("busy", 1, 5);
        for (var i = 0; i < 3 * HeldFingerprints.MaxGroups; i++)
        {
            held.Opened($"g{i}", i + 2, now);
            held.Committed($"g{i}", i + 2, 1);
            if (i % 100 == 0)
            {
                Assert.NotNull(held.Expect("busy")); // a batch reads it
            }
        }

        Assert.NotNull(held.Expect("busy"));
        Assert.Null(held.Expect("g0"));
        Assert.InRange(held.Count, HeldFingerprints.MaxGroups * 7 / 8, HeldFingerprints.MaxGroups);
    }

    /// <summary>
    /// A group whose filter was pushed out gets none rebuilt for <see cref="HeldFingerprints.NoRebuildFor"/>: with more
    /// busy groups than filters, each webhook looks its alerts up (work bounded by the webhook) rather than reading its
    /// incident's every alert to rebuild a filter that goes again.
    /// </summary>
    [Fact]
    public void AGroupPushedOut_GetsNoFilterRebuilt_ForAWhile()
    {
        var held = new HeldFingerprints();
        var now = DateTimeOffset.UnixEpoch;
        held.Rebuilt("first", 1, 2, ["a1", "a2"], now);
        for (var i = 0; i < HeldFingerprints.MaxGroups; i++)
        {
            held.Opened($"g{i}", i + 2, now + TimeSpan.FromSeconds(1));
        }

        Assert.Null(held.Expect("first"));
        Assert.False(held.MayRebuild("first", 2, now + HeldFingerprints.NoRebuildFor));
        Assert.True(held.MayRebuild("first", 2, now + TimeSpan.FromSeconds(1) + HeldFingerprints.NoRebuildFor));
        Assert.True(held.MayRebuild($"never-held", 2, now));
    }

    /// <summary>
    /// The filters hold a bounded number of fingerprints together: past it, those of the groups used longest ago go (their
    /// alerts looked up again, and no filter rebuilt for a while), never the group being written; the count follows the
    /// filters as they go, are rebuilt or replaced, and are forgotten.
    /// </summary>
    [Fact]
    public void TheFilters_HoldABoundedNumberOfFingerprintsTogether_TheGroupsUsedLongestAgoGoFirst()
    {
        var now = DateTimeOffset.UnixEpoch;
        var held = new HeldFingerprints(maxHeld: 1000);
        for (var g = 0; g < 4; g++)
        {
            held.Opened($"g{g}", g, now);
            held.Committed($"g{g}", g, 0);
        }

        for (var g = 0; g < 3; g++)
        {
            for (var i = 0; i < 300; i++)
            {
                held.Inserted($"g{g}", g, $"g{g}-{i}", now);
            }
        }

        Assert.Equal(900, held.Held);
        Assert.NotNull(held.Expect("g0")); // a batch read g0: g1 is now the group used longest ago

        for (var i = 0; i < 200; i++)
        {
            held.Inserted("g3", 3, $"g3-{i}", now); // its 101st passes 1,000: g1's 300 go, which leaves 701 (under 875)
        }

        Assert.Equal((800L, 3), (held.Held, held.Groups));
        Assert.Null(held.Expect("g1"));
        Assert.All(["g0", "g2", "g3"], g => Assert.NotNull(held.Expect(g)));
        Assert.False(held.MayRebuild("g1", 10, now)); // not rebuilt for a while
        Assert.True(held.MayRebuild("g1", 10, now + HeldFingerprints.NoRebuildFor));

        held.Forget("g3", 3);
        Assert.Equal(600, held.Held);
        held.Rebuilt("g5", 5, 3, ["x", "y", "z"], now);
        Assert.Equal(603, held.Held);
        held.Rebuilt("g5", 5, 2, ["x", "y"], now); // replaces its filter
        Assert.Equal(602, held.Held);
        held.ForgetAll();
        Assert.Equal((0L, 0), (held.Held, held.Groups));
    }
}
