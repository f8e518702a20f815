using System.Collections.Concurrent;

namespace Bot.Storage.Sql;

/// <summary>
/// The policies this process saw committed as having run on an incident, shared by its writers' sessions: a webhook
/// that joins an open incident starts its route's policy only if it never ran there, and once one has, the answer stays
/// yes (an escalation is replaced by its next run, never removed, and incidents are never renumbered). So the question
/// is asked of the database once an incident and policy, not by every webhook of a storm: on PostgreSQL the
/// incidents' escalations then stay out of a batch's read of its groups (<see cref="SqlSession.HasRun"/>).
/// <para>
/// A session learns a fact in its transaction (a row it read, or an escalation it saved) and hands it here only when
/// the transaction commits: a run saved by a transaction that rolled back never ran. A "no" is never kept: it is read
/// again, with the incident's lock, by the next webhook that asks. Bounded: past <see cref="MaxFacts"/> the set starts
/// again empty (each fact is then read once more).
/// </para>
/// </summary>
internal sealed class PoliciesRun
{
    /// <summary>Incidents times their policies kept at most (~100 bytes each).</summary>
    public const int MaxFacts = 100_000;

    private readonly ConcurrentDictionary<(long Incident, string Policy), byte> _facts = new(WithoutCase.Instance);

    /// <summary>Whether the policy was seen committed as having run on the incident (policies compared without case).</summary>
    public bool Ran(long incident, string policy) => _facts.ContainsKey((incident, policy));

    /// <summary>Facts a transaction learned, now that it committed.</summary>
    public void Committed(IEnumerable<(long Incident, string Policy)> facts)
    {
        foreach (var (incident, policy) in facts)
        {
            if (_facts.Count >= MaxFacts)
            {
                _facts.Clear();
            }

            _facts.TryAdd((incident, policy), 0);
        }
    }

    /// <summary>
    /// Forgets every fact: commits this process saw may not have lasted (a PostgreSQL server that failed before making
    /// them durable, <see cref="CommitFlusher"/>, may even give a lost incident's number to the next one). Each is read again.
    /// </summary>
    public void ForgetAll() => _facts.Clear();

    /// <summary>How many facts are kept (for tests).</summary>
    public int Count => _facts.Count;

    /// <summary>Incident and policy, the policy without case: asked by every routed webhook, so no lower-cased copy each time.</summary>
    private sealed class WithoutCase : IEqualityComparer<(long Incident, string Policy)>
    {
        public static readonly WithoutCase Instance = new();

        public bool Equals((long Incident, string Policy) x, (long Incident, string Policy) y) =>
            x.Incident == y.Incident && StringComparer.OrdinalIgnoreCase.Equals(x.Policy, y.Policy);

        public int GetHashCode((long Incident, string Policy) fact) =>
            HashCode.Combine(fact.Incident, StringComparer.OrdinalIgnoreCase.GetHashCode(fact.Policy));
    }
}
