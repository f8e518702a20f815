using System.Globalization;
using System.Text;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Postmortems;

/// <summary>
/// Writes an incident's postmortem draft in the form of our reference postmortem: Issue Summary (outage duration,
/// UTC, with the times to acknowledge, mitigate and resolve; impact), Timeline, Root Cause and Resolution,
/// Corrective and Preventative Measures, Tasks, Lessons Learned. The timeline tells what responders wrote and the
/// milestones (<see cref="Tells"/>), not the bot's bookkeeping. Missing facts are plainly marked blanks; user text is
/// escaped. The same incident always gives the same text.
/// </summary>
public static class PostmortemRenderer
{
    private static readonly CultureInfo En = CultureInfo.GetCultureInfo("en-US");

    /// <summary>
    /// The incident's draft as it stands, read from the store: what it tells of the timeline alone (a storm's incident
    /// holds an entry per webhook and a million alerts) and its tasks.
    /// </summary>
    public static async Task<string> RenderAsync(Incident incident, IIncidentReads reads, CancellationToken cancellationToken)
    {
        var timeline = await reads.ListTimelineAsync(incident.Number, new TimelineQuery(int.MaxValue, Kinds: Told), cancellationToken);
        return Render(incident, timeline, await reads.GetTasksAsync(incident.Number, cancellationToken));
    }

    /// <param name="timeline">The timeline, or only the entries it tells (<see cref="Told"/>): the others are left out.</param>
    public static string Render(Incident incident, IReadOnlyList<TimelineEntry> timeline, IReadOnlyList<IncidentTask> tasks)
    {
        var start = Start(incident);
        var sb = new StringBuilder();
        sb.Append("## Postmortem: ").Append(incident.Key).Append(' ').Append(Markdown.Escape(incident.Title)).Append("\n\n");

        sb.Append("**Issue Summary:**\n");
        sb.Append("Outage Duration: ").Append(Long(start)).Append(" - ")
          .Append(incident.ResolvedAt is { } end ? $"{Long(end)} (UTC), {Duration(end - start)}" : "ongoing (UTC)").Append('\n');
        sb.Append("Impact: ").Append(incident.Impact is null ? Markdown.Blank("who was affected, how, how many") : Markdown.Escape(incident.Impact)).Append('\n');
        sb.Append("Severity: ").Append(incident.Severity.Display()).Append('\n');
        sb.Append("Time to acknowledge: ").Append(Since(start, incident.AcknowledgedAt))
          .Append("; to mitigate: ").Append(Since(start, incident.MitigatedAt))
          .Append("; to resolve: ").Append(Since(start, incident.ResolvedAt)).Append('\n');
        if (incident.Lead is { } lead)
        {
            sb.Append("Incident lead: ").Append(Markdown.Escape(lead.Name)).Append('\n');
        }

        sb.Append("\n**Timeline:**\n");
        var told = timeline.Where(Tells).ToList();
        var multiDay = told.Count > 0 && told.Select(e => e.At.UtcDateTime.Date).Distinct().Count() > 1;
        foreach (var entry in told)
        {
            var when = multiDay ? entry.At.UtcDateTime.ToString("MMMM d, yyyy h:mm tt", En) : entry.At.UtcDateTime.ToString("h:mm tt", En);
            sb.Append("- ").Append(when).Append(": ").Append(Markdown.Escape(entry.Text));
            if (entry.Author.Id != Actor.Bot.Id && !entry.Author.Id.StartsWith("source:", StringComparison.Ordinal) && !entry.Text.Contains(entry.Author.Name, StringComparison.Ordinal))
            {
                sb.Append(" (").Append(Markdown.Escape(entry.Author.Name)).Append(')');
            }

            sb.Append('\n');
        }

        if (told.Count == 0)
        {
            sb.Append("- ").Append(Markdown.Blank("what happened, when (UTC)")).Append('\n');
        }

        sb.Append("\n**Root Cause and Resolution:**\n");
        sb.Append("**Root Cause:** ").Append(incident.Cause is null ? Markdown.Blank("the root cause") : Markdown.Escape(incident.Cause)).Append("\n\n");
        sb.Append("**Resolution:** ").Append(incident.Resolution is null ? Markdown.Blank("how it was resolved") : Markdown.Escape(incident.Resolution)).Append("\n\n");

        sb.Append("**Corrective and Preventative Measures:**\n");
        sb.Append("**Improvements/Fixes:**\n");
        List(sb, tasks.Where(t => t.Kind == IncidentTask.Corrective), "corrective measures (/incident task corrective <title>)");
        sb.Append("\n**Tasks to Address the Issue:**\n");
        List(sb, tasks.Where(t => t.Kind == IncidentTask.Preventive), "preventive tasks (/incident task preventive <title>)");
        sb.Append("\n**Lessons Learned:**\n");
        sb.Append(Markdown.Blank("what this incident taught: what went well, what did not, where we were lucky, and what we commit to")).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// Whether the postmortem tells an entry: what responders wrote (notes, status updates) and the milestones (opened,
    /// acknowledged and other status changes, severity changes, paging and escalation, mitigated, resolved). The bot's
    /// bookkeeping (alert lists with their labels, the channel, fields and roles set, tasks filed, failed jobs) is left to
    /// the incident's own timeline.
    /// </summary>
    public static bool Tells(TimelineEntry entry) => Told.Contains(entry.Kind);

    /// <summary>The kinds of entry the draft tells: a store reads only these (a storm's alert entries are many).</summary>
    public static readonly IReadOnlyCollection<TimelineKind> Told =
    [
        TimelineKind.Note, TimelineKind.Update, TimelineKind.IncidentOpened, TimelineKind.StatusChanged, TimelineKind.SeverityChanged,
        TimelineKind.Page, TimelineKind.Escalation,
    ];

    /// <summary>When the outage started: the incident's opening, or its first alert if that fired earlier.</summary>
    public static DateTimeOffset Start(Incident incident) =>
        incident.FirstAlertAt is { } first && first < incident.CreatedAt ? first : incident.CreatedAt;

    public static string Duration(TimeSpan span)
    {
        var total = (long)Math.Round(span.TotalMinutes, MidpointRounding.AwayFromZero); // 2.5 min is 3 min
        var (d, h, m) = (total / 1440, total / 60 % 24, total % 60);
        var parts = new List<string>();
        if (d > 0)
        {
            parts.Add($"{d} d");
        }

        if (h > 0)
        {
            parts.Add($"{h} h");
        }

        if (m > 0 || parts.Count == 0)
        {
            parts.Add($"{m} min");
        }

        return string.Join(" ", parts);
    }

    /// <summary>"Network Resilience: deploy traffic filtering" reads "**Network Resilience:** deploy traffic filtering", as in the reference.</summary>
    private static string MeasureTitle(string title)
    {
        var colon = title.IndexOf(": ", StringComparison.Ordinal);
        return colon is > 0 and <= 60
            ? $"**{Markdown.Escape(title[..colon])}:** {Markdown.Escape(title[(colon + 2)..])}"
            : Markdown.Escape(title);
    }

    private static string Long(DateTimeOffset t) => t.UtcDateTime.ToString("MMMM d, yyyy, h:mm tt", En);

    private static string Since(DateTimeOffset start, DateTimeOffset? at) => at is { } t ? Duration(t - start) : Markdown.Blank("not reached");

    private static void List(StringBuilder sb, IEnumerable<IncidentTask> tasks, string blank)
    {
        var n = 0;
        foreach (var task in tasks)
        {
            sb.Append(++n).Append(". ").Append(MeasureTitle(task.Title));
            if (task.Url is not null)
            {
                sb.Append(" ([issue](").Append(task.Url.Replace(")", "%29")).Append(')').Append(task.State is null ? "" : $", {task.State}").Append(')');
            }

            sb.Append('\n');
        }

        if (n == 0)
        {
            sb.Append("1. ").Append(Markdown.Blank(blank)).Append('\n');
        }
    }
}
