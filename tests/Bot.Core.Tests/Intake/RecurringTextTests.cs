using System.Text;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

/// <summary>Runs alone: the table of recurring text is the process's, and other tests' parsing would overwrite its slots.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RecurringTextCollection
{
    public const string Name = "alone: the process's table of recurring text";
}

/// <summary>
/// Label names and values that come again are shared between webhooks, not made anew; whatever collides in the table,
/// every string read is the one sent.
/// </summary>
[Collection(RecurringTextCollection.Name)]
public sealed class RecurringTextTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static AlertBatch Parse(string labels) => new AlertmanagerParser().Parse(
        Encoding.UTF8.GetBytes($$"""{"version":"4","alerts":[{"status":"firing","labels":{{labels}},"startsAt":"2026-01-01T00:00:00Z"}]}"""), "am", Now);

    /// <summary>
    /// One text as the label's name and value, so that nothing else of the webhook can take its slot (the table's hash is
    /// seeded anew in every process); the tests run alone, so nothing else can either. A table that never shares fails.
    /// </summary>
    [Fact]
    public void ALabelSentAgain_IsTheSameString_NameAndValue()
    {
        var first = Parse("""{"network":"network"}""").Alerts[0].Labels;
        var again = Parse("""{"network":"network"}""").Alerts[0].Labels;

        Assert.Same(first.Keys.First(), again.Keys.First());
        Assert.Same(first.Get("network"), again.Get("network"));
        Assert.Same(again.Keys.First(), again.Get("network"));
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
