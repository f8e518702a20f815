using Bot.Core.Incidents;

namespace Bot.Storage.Sql;

/// <summary>
/// What a unit of work knows is not stored among the alerts it writes: those its read looked for and did not find
/// (under its incident's row lock, so no other writer can store them before the unit ends), and every alert of an
/// incident it inserted. Only an alert's first write in the unit can know that; a later one may follow a write of it.
/// </summary>
internal sealed class UnitAlerts
{
    private readonly HashSet<(long Incident, string Fingerprint)> _missing = [];
    private readonly HashSet<long> _inserted = [];
    private readonly HashSet<(long Incident, string Fingerprint)> _writtenToInserted = [];

    /// <summary>The unit read these fingerprints of an incident, and found <paramref name="found"/>.</summary>
    public void Read(long incident, IReadOnlySet<string> fingerprints, IReadOnlyDictionary<string, StoredAlert> found)
    {
        foreach (var fingerprint in fingerprints)
        {
            if (!found.ContainsKey(fingerprint))
            {
                _missing.Add((incident, fingerprint));
            }
        }
    }

    /// <summary>The unit inserted this incident: none of its alerts is stored yet.</summary>
    public void Inserted(long incident) => _inserted.Add(incident);

    /// <summary>Is this the first write of an alert the unit knows is not stored? Asked once per write.</summary>
    public bool FirstWriteOfMissing(long incident, string fingerprint) =>
        _inserted.Contains(incident) ? _writtenToInserted.Add((incident, fingerprint)) : _missing.Remove((incident, fingerprint));

    public void Clear()
    {
        _missing.Clear();
        _inserted.Clear();
        _writtenToInserted.Clear();
    }
}
