using Bot.Core.Escalation;

namespace Bot.Storage.Sql;

/// <summary>
/// What a PostgreSQL writer knows of its groups' open incidents as its last commits left them: each incident's values,
/// its escalations where a read brought them, and its row's version (<c>incidents.version</c>, raised by one at every write
/// of the row and of each of its escalations, whoever writes it: the bot's statements raise it, the schema's triggers for
/// any other write, a replica of the version before or a person's SQL; <see cref="Bumped"/> counts this transaction's).
/// A batch across groups that all are known sends no read of them: its first write checks their versions instead and takes their locks in the order of their keys, as the read does
/// (<c>check_incident_versions</c>, schema 33), in the same round trip as the batch's other writes and its COMMIT. Should
/// another writer have changed one meanwhile (another replica, a person's command on this one), the check fails the
/// transaction as a serialization failure, nothing of it is kept, and the batch runs again, reading; nothing is trusted for
/// <see cref="Distrust"/> then, so that writers that share groups read as before instead of failing batch after batch.
/// <para>
/// On one replica with its groups' webhooks on one writer (the default), a batch of webhooks across groups is one round
/// trip, not two: the read was a sixth of the writer's time a batch, the database's and the bot's CPU for it besides.
/// </para>
/// </summary>
internal sealed class KnownGroups
{
    /// <summary>How long nothing is trusted after a transaction that did not commit (a check that failed, or any other failure).</summary>
    public static readonly TimeSpan Distrust = TimeSpan.FromSeconds(10);

    /// <summary>The most groups kept: past it they are all forgotten (a group forgotten is read, as before).</summary>
    public const int MaxGroups = 4096;

    private readonly Dictionary<string, Known> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (string Group, long Version)> _checked = []; // the transaction's: read or checked, with the version then
    private readonly Dictionary<long, int> _bumps = []; // the transaction's writes of each incident's row or escalations
    private bool _committed;
    private DateTimeOffset _trustFrom;

    /// <summary>A group's open incident as the writer's last commit left it.</summary>
    public sealed record Known(long Number, object[] Values, long Version, EscalationState[]? Escalations);

    /// <summary>
    /// Every one of <paramref name="groups"/> with its open incident as known (and its escalations, when
    /// <paramref name="withEscalations"/>); null when one is not known, or nothing is trusted now.
    /// </summary>
    public List<(string Group, Known Known)>? AllOf(IReadOnlyList<string> groups, bool withEscalations, DateTimeOffset now)
    {
        if (now < _trustFrom || _known.Count == 0)
        {
            return null;
        }

        var all = new List<(string, Known)>(groups.Count);
        foreach (var group in groups)
        {
            if (!_known.TryGetValue(group, out var known) || (withEscalations && known.Escalations is null))
            {
                return null;
            }

            all.Add((group, known));
        }

        return all;
    }

    /// <summary>The transaction read the group's open incident at this version, or checks that it is still at it.</summary>
    public void Checked(string group, long number, long version) => _checked[number] = (group, version);

    /// <summary>The transaction wrote the incident's row, or one of its escalations: its version goes up by one.</summary>
    public void Bumped(long number) => _bumps[number] = _bumps.GetValueOrDefault(number) + 1;

    /// <summary>
    /// The transaction committed: the groups it read or checked are known as it left them (their incident still open, as
    /// <paramref name="readAhead"/> holds it); an incident it wrote without either is forgotten.
    /// </summary>
    public void Committed(GroupReadAhead readAhead)
    {
        _committed = true;
        foreach (var (number, (group, version)) in _checked)
        {
            if (readAhead.ValuesOf(group, number) is { } values)
            {
                _known[group] = new Known(number, values, version + _bumps.GetValueOrDefault(number), readAhead.Escalations(number)?.ToArray());
            }
            else
            {
                _known.Remove(group);
            }
        }

        var writtenUnread = _bumps.Keys.Where(n => !_checked.ContainsKey(n)).ToHashSet();
        if (writtenUnread.Count > 0)
        {
            foreach (var (group, known) in _known) // one pass, whatever the number of incidents written (a dictionary may lose entries as it is walked)
            {
                if (writtenUnread.Contains(known.Number))
                {
                    _known.Remove(group);
                }
            }
        }

        if (_known.Count > MaxGroups)
        {
            _known.Clear();
        }
    }

    /// <summary>The transaction ended; one that did not commit leaves nothing known, and nothing trusted for a while.</summary>
    public void Ended(DateTimeOffset now)
    {
        if (!_committed && (_checked.Count > 0 || _bumps.Count > 0))
        {
            _known.Clear();
            _trustFrom = now + Distrust;
        }

        _committed = false;
        _checked.Clear();
        _bumps.Clear();
    }
}
