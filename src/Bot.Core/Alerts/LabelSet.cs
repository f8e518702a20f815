using System.Collections;
using System.Text;

namespace Bot.Core.Alerts;

/// <summary>
/// An immutable set of name/value pairs (labels or annotations), ordered by name, compared by content. Kept as a sorted
/// array: a webhook makes thousands of these, each read a few times.
/// </summary>
public sealed class LabelSet : IReadOnlyDictionary<string, string>, IEquatable<LabelSet>
{
    public static readonly LabelSet Empty = new([]);

    private readonly KeyValuePair<string, string>[] _pairs; // sorted by name (ordinal), names unique

    private LabelSet(KeyValuePair<string, string>[] pairs) => _pairs = pairs;

    public static LabelSet From(IEnumerable<KeyValuePair<string, string>>? pairs)
    {
        if (pairs is null)
        {
            return Empty;
        }

        var array = pairs.ToArray();
        return Own(array, array.Length);
    }

    /// <summary>
    /// The set of the first <paramref name="count"/> pairs of an array the caller gives up (a parser's own): cleaned,
    /// sorted and made unique in it, with no copy where nothing is to be taken out.
    /// </summary>
    internal static LabelSet Own(KeyValuePair<string, string>[] array, int count)
    {
        for (var i = 0; i < count; i++)
        {
            // Names and values come from senders: kept as SafeText.Clean leaves them.
            var (name, value) = array[i];
            array[i] = KeyValuePair.Create(Text.SafeText.Clean(name), Text.SafeText.Clean(value ?? throw new NullLabelValueException(name)));
        }

        array = count == array.Length ? array : array[..count];
        if (array.Length == 0)
        {
            return Empty;
        }

        if (!StrictlyIncreasing(array))
        {
            // Sorted, stably, so that of a name given twice the last one wins (as a dictionary's indexer would have it).
            if (array.Length <= InsertionSortMost)
            {
                InsertionSort(array); // a webhook's few labels, in place: LINQ's sort cost a storm's webhook more than its parse
            }
            else
            {
                array = [.. array.Select((p, i) => (Pair: p, Index: i)).OrderBy(x => x.Pair.Key, StringComparer.Ordinal).ThenBy(x => x.Index).Select(x => x.Pair)];
            }

            var unique = 0;
            foreach (var pair in array)
            {
                if (unique > 0 && string.Equals(array[unique - 1].Key, pair.Key, StringComparison.Ordinal))
                {
                    array[unique - 1] = pair;
                }
                else
                {
                    array[unique++] = pair;
                }
            }

            array = unique == array.Length ? array : array[..unique];
        }

        return new LabelSet(array);
    }

    /// <summary>Up to this many pairs are sorted by insertion (stable, in place); more by LINQ's stable sort.</summary>
    private const int InsertionSortMost = 32;

    private static void InsertionSort(KeyValuePair<string, string>[] pairs)
    {
        for (var i = 1; i < pairs.Length; i++)
        {
            var pair = pairs[i];
            var j = i - 1;
            for (; j >= 0 && string.CompareOrdinal(pairs[j].Key, pair.Key) > 0; j--)
            {
                pairs[j + 1] = pairs[j];
            }

            pairs[j + 1] = pair;
        }
    }

    public LabelSet With(string name, string value) => From(_pairs.Append(new(name, value)));

    public string? Get(string name) => IndexOf(name) is var i and >= 0 ? _pairs[i].Value : null;

    public string this[string key] => Get(key) ?? throw new KeyNotFoundException($"No label '{key}'.");

    public IEnumerable<string> Keys => _pairs.Select(p => p.Key);

    public IEnumerable<string> Values => _pairs.Select(p => p.Value);

    public int Count => _pairs.Length;

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, out string value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _pairs[i].Value : null!;
        return i >= 0;
    }

    /// <summary>The pairs in name order; a <c>foreach</c> over the set itself allocates nothing (a storm writes every alert's labels).</summary>
    public Enumerator GetEnumerator() => new(_pairs);

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(KeyValuePair<string, string>[] pairs) : IEnumerator<KeyValuePair<string, string>>
    {
        private int _index = -1;

        public readonly KeyValuePair<string, string> Current => pairs[_index];

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < pairs.Length;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }

    public bool Equals(LabelSet? other) =>
        other is not null && other._pairs.AsSpan().SequenceEqual(_pairs);

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

    private static bool StrictlyIncreasing(KeyValuePair<string, string>[] pairs)
    {
        for (var i = 1; i < pairs.Length; i++)
        {
            if (string.CompareOrdinal(pairs[i - 1].Key, pairs[i].Key) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private int IndexOf(string name)
    {
        var (lo, hi) = (0, _pairs.Length - 1);
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_pairs[mid].Key, name);
            if (c == 0)
            {
                return mid;
            }

            (lo, hi) = c < 0 ? (mid + 1, hi) : (lo, mid - 1);
        }

        return -1;
    }

    /// <summary>Prometheus notation: <c>{name="value", other="x"}</c>.</summary>
    public override string ToString() => AppendTo(new StringBuilder()).ToString();

    /// <summary>Appends the set as <see cref="ToString"/> writes it: <c>{name="value", ...}</c>, quotes and backslashes escaped.</summary>
    public StringBuilder AppendTo(StringBuilder text)
    {
        text.Append('{');
        for (var i = 0; i < _pairs.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            var (name, value) = _pairs[i];
            text.Append(name).Append("=\"").Append(value.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"'); // Replace copies only on a match
        }

        return text.Append('}');
    }
}

/// <summary>A label or annotation given with a null value (JSON allows one; a label cannot be null).</summary>
public sealed class NullLabelValueException(string name) : ArgumentException($"The value of '{name}' is null.")
{
    public string Name { get; } = name;
}
