using System.Globalization;
using Bot.Core.Intake;

namespace Bot.Core.Tests.Intake;

/// <summary>The fast reading of RFC 3339 times gives what the framework's parser gives, or leaves the text to it.</summary>
public class Rfc3339Tests
{
    private const DateTimeStyles Utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;

    [Theory]
    [InlineData("2026-11-23T23:56:12.18606875Z")] // Alertmanager's, eight digits
    [InlineData("2026-11-24T00:45:43.209Z")]
    [InlineData("2026-11-24T00:40:21Z")]
    [InlineData("0001-01-01T00:00:00Z")] // Go's zero time
    [InlineData("2026-11-24T11:00:00+01:00")]
    [InlineData("2026-11-24T11:00:00.5-05:30")]
    [InlineData("2024-02-29t23:59:59.999999999z")] // nine digits round up to the next day
    [InlineData("2026-12-31T23:59:59.99999995+14:00")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Reads_WhatTheFrameworkReads(string text)
    {
        Assert.True(Rfc3339.TryRead(text, out var fast));
        Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Utc, out var framework));
        Assert.Equal(framework.UtcTicks, fast.UtcTicks);
        Assert.Equal(TimeSpan.Zero, fast.Offset);
    }

    [Fact]
    public void Reads_WhatTheFrameworkReads_OverManyTimesFractionsAndOffsets()
    {
        var random = new Random(17);
        for (var n = 0; n < 20_000; n++)
        {
            var at = new DateTime(2000, 1, 1).AddTicks((long)(random.NextDouble() * 40 * TimeSpan.TicksPerDay * 365));
            var digits = random.Next(0, 10);
            var fraction = digits == 0 ? "" : "." + string.Concat(Enumerable.Range(0, digits).Select(_ => (char)('0' + random.Next(10))));
            var offset = random.Next(3) switch
            {
                0 => "Z",
                1 => $"+{random.Next(15):00}:{random.Next(60):00}",
                _ => $"-{random.Next(15):00}:{random.Next(60):00}",
            };
            var text = at.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + fraction + offset;

            var read = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, Utc, out var framework); // not past ±14:00
            Assert.True(read == Rfc3339.TryRead(text, out var fast), text);
            Assert.True(framework.UtcTicks == fast.UtcTicks, $"{text}: {fast:O} against {framework:O}");
        }
    }

    [Theory]
    [InlineData("2026-11-24")] // a date alone: the framework's
    [InlineData("2026-11-24 10:00:00Z")]
    [InlineData("2026-11-24T10:00:00")] // no offset
    [InlineData("2026-11-24T10:00:00.Z")]
    [InlineData("2026-11-24T10:00:00+0100")]
    [InlineData("2026-13-01T10:00:00Z")]
    [InlineData("2026-02-29T10:00:00Z")]
    [InlineData("2026-11-24T24:00:00Z")]
    [InlineData("2026-11-24T10:60:00Z")]
    [InlineData("2026-11-24T10:00:60Z")]
    [InlineData("2026-11-24T10:00:00+15:00")]
    [InlineData("2026-11-24T10:00:00-14:01")]
    [InlineData("0001-01-01T00:00:00+01:00")] // before the first instant
    [InlineData("2026-11-24T10:00:00Zx")]
    [InlineData("２０２６-11-24T10:00:00Z")] // digits, but not ASCII
    public void LeavesOtherShapesToTheFramework(string text) => Assert.False(Rfc3339.TryRead(text, out _));
}
