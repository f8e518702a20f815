using Bot.Core.Alerts;

namespace Bot.Core.Tests.Alerts;

public class LabelSetTests
{
    private static LabelSet Of(params (string Name, string Value)[] pairs) => LabelSet.From(pairs.Select(p => KeyValuePair.Create(p.Name, p.Value)));

    [Fact]
    public void From_OrdersByName_AndTheLastOfANameGivenTwiceWins()
    {
        var labels = Of(("zone", "eu"), ("alertname", "A"), ("b", "1"), ("alertname", "B"));

        Assert.Equal(["alertname", "b", "zone"], labels.Keys);
        Assert.Equal("B", labels.Get("alertname"));
        Assert.Equal("{alertname=\"B\", b=\"1\", zone=\"eu\"}", labels.ToString());
        Assert.Null(labels.Get("missing"));
        Assert.Throws<KeyNotFoundException>(() => labels["missing"]);
    }

    /// <summary>A <c>foreach</c> over the set (its own enumerator, no allocation) gives what the interface's does, and starts again after a reset.</summary>
    [Fact]
    public void Foreach_GivesThePairsInNameOrder_AsTheInterfaceDoes()
    {
        var labels = Of(("zone", "eu"), ("alertname", "A"), ("b", "1"));
        var seen = new List<KeyValuePair<string, string>>();
        foreach (var pair in labels)
        {
            seen.Add(pair);
        }

        Assert.Equal([KeyValuePair.Create("alertname", "A"), KeyValuePair.Create("b", "1"), KeyValuePair.Create("zone", "eu")], seen);
        Assert.Equal(seen, ((IEnumerable<KeyValuePair<string, string>>)labels).ToList());

        var enumerator = labels.GetEnumerator();
        while (enumerator.MoveNext())
        {
        }

        enumerator.Reset();
        Assert.True(enumerator.MoveNext());
        Assert.Equal("alertname", enumerator.Current.Key);
        Assert.Empty(LabelSet.Empty.ToList());
    }

    [Fact]
    public void Equality_IsByContent_WhateverTheOrderGiven()
    {
        var a = Of(("a", "1"), ("b", "2"));
        var b = Of(("b", "2"), ("a", "1"));

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a.With("c", "3"));
        Assert.Equal("3", a.With("c", "3").With("a", "9").Get("c"));
        Assert.Equal("9", a.With("a", "9").Get("a"));
        Assert.Same(LabelSet.Empty, LabelSet.From([]));
    }

    [Fact]
    public void From_AgreesWithADictionarysLastWordInOrdinalOrder_AtAnySize_CountedOrNot()
    {
        var random = new Random(17);
        for (var size = 0; size <= 80; size++)
        {
            // Few names, so that many come twice; some differ only in case, which ordinal order tells apart.
            var pairs = Enumerable.Range(0, size).Select(i => KeyValuePair.Create(((char)('A' + random.Next(6))).ToString() + (char)('a' + random.Next(size / 4 + 1)), $"v{i}")).ToList();
            var expected = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in pairs)
            {
                expected[name] = value;
            }

            var sorted = expected.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            Assert.Equal(sorted, LabelSet.From(pairs));
            Assert.Equal(sorted, LabelSet.From(Uncounted(pairs)));
        }

        static IEnumerable<KeyValuePair<string, string>> Uncounted(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            foreach (var pair in pairs)
            {
                yield return pair;
            }
        }
    }
}
