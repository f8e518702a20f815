using System.Collections;
using System.Collections.Immutable;
using System.Text;

namespace Bot.Core.Alerts;

/// <summary>
/// An immutable set of name/value pairs (labels or annotations), ordered by name, compared by content.
/// </summary>
public sealed class LabelSet : IReadOnlyDictionary<string, string>, IEquatable<LabelSet>
{
    public static readonly LabelSet Empty = new(ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));

    private readonly ImmutableSortedDictionary<string, string> _pairs;

    private LabelSet(ImmutableSortedDictionary<string, string> pairs) => _pairs = pairs;

    public static LabelSet From(IEnumerable<KeyValuePair<string, string>>? pairs)
    {
        if (pairs is null)
        {
            return Empty;
        }

        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
        {
            // Names and values come from senders: kept as SafeText.Clean leaves them.
            builder[Text.SafeText.Clean(name)] = Text.SafeText.Clean(value ?? throw new NullLabelValueException(name));
        }

        return builder.Count == 0 ? Empty : new LabelSet(builder.ToImmutable());
    }

    public LabelSet With(string name, string value) => new(_pairs.SetItem(Text.SafeText.Clean(name), Text.SafeText.Clean(value)));

    public string? Get(string name) => _pairs.TryGetValue(name, out var value) ? value : null;

    public string this[string key] => _pairs[key];

    public IEnumerable<string> Keys => _pairs.Keys;

    public IEnumerable<string> Values => _pairs.Values;

    public int Count => _pairs.Count;

    public bool ContainsKey(string key) => _pairs.ContainsKey(key);

    public bool TryGetValue(string key, out string value) => _pairs.TryGetValue(key, out value!);

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _pairs.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(LabelSet? other) =>
        other is not null && other.Count == Count && _pairs.All(p => other.TryGetValue(p.Key, out var v) && v == p.Value);

    public override bool Equals(object? obj) => Equals(obj as LabelSet);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (name, value) in _pairs)
        {
            hash.Add(name);
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    /// <summary>Prometheus notation: <c>{name="value", other="x"}</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        foreach (var (name, value) in _pairs)
        {
            if (sb.Length > 1)
            {
                sb.Append(", ");
            }

            sb.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
        }

        return sb.Append('}').ToString();
    }
}

/// <summary>A label or annotation given with a null value (JSON allows one; a label cannot be null).</summary>
public sealed class NullLabelValueException(string name) : ArgumentException($"The value of '{name}' is null.")
{
    public string Name { get; } = name;
}
