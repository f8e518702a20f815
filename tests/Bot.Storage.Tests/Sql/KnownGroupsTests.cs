using Bot.Core.Incidents;
using Bot.Storage.Sql;

namespace Bot.Storage.Tests.Sql;

/// <summary>
/// What a PostgreSQL writer knows of its groups between batches: each group's incident at the version its last commit
/// left it (the version read or checked, and one more a write of the incident in that transaction), and nothing at all
/// for <see cref="KnownGroups.Distrust"/> after a transaction that did not commit (a failed check among them), so that
/// writers sharing groups read as before instead of failing batch after batch.
/// </summary>
public sealed class KnownGroupsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ACommit_LeavesItsGroupsKnownAtTheirVersionAndItsWrites_AFailedTransaction_LeavesNothingTrustedForAWhile()
    {
        var known = new KnownGroups();
        Commit(known, ("g1", 1, version: 4, writes: 2), ("g2", 2, version: 7, writes: 0));

        var both = known.AllOf(["g1", "g2"], withEscalations: false, T0)!;
        Assert.Equal([(1L, 6L), (2L, 7L)], both.Select(k => (k.Known.Number, k.Known.Version)));
        Assert.Null(known.AllOf(["g1", "g3"], withEscalations: false, T0)); // one not known: the batch reads them all

        known.Checked("g1", 1, 6); // a batch checked them, and did not commit (its check failed)
        known.Ended(T0);
        Commit(known, ("g1", 1, version: 9, writes: 0)); // read again, and committed
        Assert.Null(known.AllOf(["g1"], withEscalations: false, T0.AddSeconds(9)));
        Assert.Equal(9, known.AllOf(["g1"], withEscalations: false, T0 + KnownGroups.Distrust)!.Single().Known.Version);
    }

    [Fact]
    public void AnIncidentWrittenByATransactionThatDidNotReadIt_IsForgotten()
    {
        var known = new KnownGroups();
        Commit(known, ("g1", 1, version: 4, writes: 1), ("g2", 2, version: 7, writes: 1));

        known.Bumped(2); // a job's unit, or a command, wrote INC-2 without the batch's read
        known.Committed(new GroupReadAhead());
        known.Ended(T0);

        Assert.NotNull(known.AllOf(["g1"], withEscalations: false, T0));
        Assert.Null(known.AllOf(["g2"], withEscalations: false, T0));
    }

    /// <summary>A transaction that read (or checked) these groups' open incidents, wrote each so many times, and committed.</summary>
    private static void Commit(KnownGroups known, params (string Group, long Number, long version, int writes)[] groups)
    {
        var readAhead = new GroupReadAhead();
        foreach (var (group, number, version, writes) in groups)
        {
            readAhead.Read(group, number, [$"values of {number}"], new HashSet<string>(), new Dictionary<string, KnownAlert>());
            known.Checked(group, number, version);
            for (var i = 0; i < writes; i++)
            {
                known.Bumped(number);
            }
        }

        known.Committed(readAhead);
        known.Ended(T0);
    }
}
