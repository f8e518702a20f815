using System.Globalization;
using System.Text;
using Bot.Core.Alerts;

namespace Bot.Core.Incidents;

/// <summary>How a set of alerts reads in one timeline entry: all of a few, the first of many and a count.</summary>
public static class AlertListText
{
    public const int MaxListed = 5;

    /// <summary>
    /// <c>Alert firing: Title {labels}</c>, or <c>N alerts firing: Title {labels}; ...; and M more</c>. Written into one
    /// buffer, the thread's: a storm writes one a webhook, on the store's writer thread.
    /// </summary>
    public static string Describe(string verb, IReadOnlyList<Alert> alerts)
    {
        var text = t_text ?? new StringBuilder(1024);
        t_text = null; // a builder in use is no one else's, should this be called again on the thread meanwhile
        text.Clear();
        if (alerts.Count == 1)
        {
            text.Append("Alert ");
        }
        else
        {
            text.Append(alerts.Count.ToString(CultureInfo.InvariantCulture)).Append(" alerts ");
        }

        text.Append(verb).Append(": ");
        for (var i = 0; i < alerts.Count && i < MaxListed; i++)
        {
            if (i > 0)
            {
                text.Append("; ");
            }

            alerts[i].Labels.AppendTo(alerts[i].AppendTitle(text).Append(' '));
        }

        if (alerts.Count > MaxListed)
        {
            text.Append("; and ").Append((alerts.Count - MaxListed).ToString(CultureInfo.InvariantCulture)).Append(" more");
        }

        var described = text.ToString();
        if (text.Capacity <= MaxKeptCapacity)
        {
            t_text = text;
        }

        return described;
    }

    private const int MaxKeptCapacity = 8 * 1024;

    [ThreadStatic]
    private static StringBuilder? t_text;
}
