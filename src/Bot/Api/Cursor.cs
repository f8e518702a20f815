using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Bot.Core.Incidents;

namespace Bot.Api;

/// <summary>
/// The read API's page cursors: opaque to clients (base64url), each the position of the last item of the page it
/// continues, so a page is found through an index however far into a storm it is. A cursor names what it pages
/// (<c>i</c> incidents, <c>a</c> alerts first seen first, <c>z</c> newest first, <c>t</c> timeline), so one is never
/// taken for another.
/// </summary>
internal static class Cursor
{
    public static string Incidents(long lastNumber) => Encode($"i:{lastNumber}");

    public static string Alerts(AlertPosition last, bool newestFirst) =>
        Encode($"{(newestFirst ? 'z' : 'a')}:{last.FirstSeenAt.ToUnixTimeMilliseconds()}:{last.StartsAt.ToUnixTimeMilliseconds()}:{last.Fingerprint}");

    public static string Timeline(TimelinePosition last) => Encode($"t:{last.At.ToUnixTimeMilliseconds()}:{last.Id}");

    public static bool TryIncidents(string text, out long before)
    {
        before = 0;
        return Decode(text) is { } parts && parts is ["i", var n] && long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out before);
    }

    public static bool TryAlerts(string text, out AlertPosition? after, out bool newestFirst)
    {
        after = null;
        newestFirst = false;
        if (Decode(text, 4) is not [var kind and ("a" or "z"), var seen, var starts, var fingerprint] || !Ms(seen, out var s) || !Ms(starts, out var t))
        {
            return false;
        }

        (after, newestFirst) = (new AlertPosition(s, t, fingerprint), kind == "z");
        return true;
    }

    public static bool TryTimeline(string text, out TimelinePosition? after)
    {
        after = null;
        if (Decode(text) is not ["t", var at, var id] || !Ms(at, out var a) || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
        {
            return false;
        }

        after = new TimelinePosition(a, i);
        return true;
    }

    private static bool Ms(string text, out DateTimeOffset time)
    {
        time = default;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms) || ms < -62135596800000 || ms > 253402300799999)
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string[]? Decode(string text, int parts = 3)
    {
        if (text.Length > 1024)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split(':', parts);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
