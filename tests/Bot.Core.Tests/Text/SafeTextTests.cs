using Bot.Core.Alerts;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Text;

namespace Bot.Core.Tests.Text;

/// <summary>What senders cannot put into what the bot keeps and writes: control characters, bidi overrides, broken text.</summary>
public class SafeTextTests
{
    [Theory]
    [InlineData("plain text, é and \U0001F525", "plain text, é and \U0001F525")]
    [InlineData("a\0b", "ab")]
    [InlineData("esc\u001B[31mred", "esc[31mred")]
    [InlineData("evil\u202Etxt.exe", "eviltxt.exe")]
    [InlineData("\u2066isolate\u2069 \u200Fmark", "isolate mark")]
    [InlineData("c1\u0085\u009Bx", "c1x")]
    [InlineData("tab\tand\nline", "tab\tand\nline")]
    [InlineData("crlf\r\nline\rold mac", "crlf\nline\nold mac")]
    public void Clean_RemovesWhatNoReaderShouldGet(string text, string expected)
    {
        Assert.Equal(expected, SafeText.Clean(text));
        Assert.True(SafeText.IsClean(SafeText.Clean(text)) || SafeText.Clean(text).Any(char.IsSurrogate));
    }

    // Built in code: an attribute's string cannot hold an unpaired surrogate.
    [Theory]
    [InlineData('\uD800', " high")]
    [InlineData('\uDC00', " low")]
    [InlineData('\uD83D', "")]
    public void Clean_ReplacesUnpairedSurrogates(char half, string after) =>
        Assert.Equal($"lone \uFFFD{after}", SafeText.Clean($"lone {half}{after}"));

    [Fact]
    public void Clean_OfCleanText_IsTheSameString() // no copy on the webhook's hot path
    {
        var text = "HighErrorRate: 5xx above 5% on checkout";

        Assert.Same(text, SafeText.Clean(text));
    }

    [Theory]
    [InlineData("a\u001B[2Jb", "a\\u001B[2Jb")]
    [InlineData("two\nlines", "two\\u000Alines")]
    [InlineData("rtl\u202Eexe", "rtl\\u202Eexe")]
    [InlineData("fine \U0001F525", "fine \U0001F525")]
    public void Escape_ShowsControlCharacters_InsteadOfObeyingThem(string text, string expected) =>
        Assert.Equal(expected, SafeText.Escape(text));

    [Fact]
    public void Escape_ShowsAnUnpairedSurrogate() => Assert.Equal("lone \\uD800", SafeText.Escape("lone \uD800"));

    [Theory]
    [InlineData("short", 10, "short")]
    [InlineData("0123456789abc", 10, "0123456...")]
    [InlineData("012345\U0001F525xyz", 10, "012345...")]
    public void Cut_NeverSplitsASurrogatePair(string text, int max, string expected) =>
        Assert.Equal(expected, SafeText.Cut(text, max));

    [Fact]
    public void AnAlert_CarriesNoControlCharacters_FromAnyField()
    {
        var body = """
            {"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing",
              "labels":{"alertname":"Disk\u0000Full\u001B[31m","team\u202E":"db\u202Eexe"},
              "annotations":{"summary":"NUL\u0000 ESC\u001B RLO\u202E"},
              "startsAt":"2023-08-05T10:00:00Z","fingerprint":"f\u0000p","generatorURL":"http://x/\u001B"}]}
            """u8;

        var alert = new AlertmanagerParser().Parse(body, "alertmanager", DateTimeOffset.UnixEpoch).Alerts.Single();

        Assert.Equal("DiskFull[31m", alert.Name);
        Assert.Equal("dbexe", alert.Labels.Get("team"));
        Assert.Equal("NUL ESC RLO", alert.Summary);
        Assert.Equal("fp", alert.Fingerprint);
        Assert.Equal("http://x/", alert.SourceUrl);
        Assert.All(alert.Labels.Concat(alert.Annotations), p => Assert.True(SafeText.IsClean(p.Key) && SafeText.IsClean(p.Value)));
    }

    [Fact]
    public void TimelineEntries_Actors_AndIncidents_HoldCleanText()
    {
        var (incident, opened) = Incident.Open("Title\u0000\u202E", Severity.Sev2, "manual", "g", new Actor("U1", "ali\u001Bce"), "opened \u0007", DateTimeOffset.UnixEpoch);
        var retitled = incident.Retitle("new\u0000 title", new Actor("U1", "alice"), DateTimeOffset.UnixEpoch);

        Assert.Equal("new title", incident.Title);
        Assert.Equal("alice", opened.Author.Name);
        Assert.Equal("opened ", opened.Text);
        Assert.DoesNotContain('\0', retitled.Text);
        Assert.Equal("Label", LabelSet.From([new("a\u0000", "b")]).Keys.Single() == "a" ? "Label" : "dirty");
    }
}
