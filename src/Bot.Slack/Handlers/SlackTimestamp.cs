using System.Globalization;

namespace Bot.Slack.Handlers;

/// <summary>A Slack message timestamp (<c>ts</c>): Unix seconds with up to six decimals, e.g. <c>1700000000.000100</c>.</summary>
public static class SlackTimestamp
{
    public static bool TryParse(string? ts, out DateTimeOffset at)
    {
        at = default;
        var dot = ts?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        var seconds = dot < 0 ? ts : ts![..dot];
        var fraction = dot < 0 ? "" : ts![(dot + 1)..];
        if (string.IsNullOrEmpty(seconds) || seconds.Length > 11 || fraction.Length > 6 || (dot >= 0 && fraction.Length == 0)
            || !seconds.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            return false;
        }

        var micros = fraction.Length == 0 ? 0 : long.Parse(fraction.PadRight(6, '0'), CultureInfo.InvariantCulture);
        at = DateTimeOffset.FromUnixTimeSeconds(long.Parse(seconds, CultureInfo.InvariantCulture)).AddTicks(micros * 10);
        return true;
    }
}
