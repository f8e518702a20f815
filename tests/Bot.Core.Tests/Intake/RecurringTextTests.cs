using System.Text;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

/// <summary>
/// Label names and values that come again are shared between webhooks, not made anew; whatever collides in the table,
/// every string read is the one sent.
/// </summary>
public sealed class RecurringTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static AlertBatch Parse(string labels) => new AlertmanagerParser().Parse(
        Encoding.UTF8.GetBytes($$"""{"version":"4","alerts":[{"status":"firing","labels":{{labels}},"startsAt":"2026-01-01T00:00:00Z"}]}"""), "am", Now);

    /// <summary>
    /// The table is the process's: another test parsing at the same moment may take the slot between two reads, so the
    /// label is sent a few times; a table that never shares fails every time.
    /// </summary>
    [Fact]
    public void ALabelSentAgain_IsTheSameString_NameAndValue()
    {
        var shared = Enumerable.Range(0, 5).Any(_ =>
        {
            var first = Parse("""{"alertname":"HighRequestRate","team":"network"}""").Alerts[0].Labels;
            var again = Parse("""{"alertname":"HighRequestRate","team":"network"}""").Alerts[0].Labels;
            return ReferenceEquals(first.Keys.First(), again.Keys.First()) && ReferenceEquals(first.Get("team"), again.Get("team"));
        });

        Assert.True(shared);
    }

    [Fact]
    public void EveryStringRead_IsTheOneSent_ShortLongEscapedOrColliding()
    {
        var random = new Random(5);
        for (var webhook = 0; webhook < 300; webhook++)
        {
            // Thousands of distinct short values over a table of 1,024 slots: many share a slot, some come again.
            var sent = Enumerable.Range(0, 12).ToDictionary(
                i => $"n{random.Next(200)}_{i}",
                i => i switch
                {
                    0 => new string('v', 65 + random.Next(3)), // past the length the table keeps
                    1 => $"é\\\"{random.Next(50)}", // escaped: read as the framework reads it
                    _ => $"value-{random.Next(3000)}",
                });
            var labels = Parse("{" + string.Join(",", sent.Select(p => $"\"{p.Key}\":\"{p.Value}\"")) + "}").Alerts[0].Labels;

            foreach (var (name, value) in sent)
            {
                Assert.Equal(value.Replace("\\\"", "\""), labels.Get(name));
            }
        }
    }
}
