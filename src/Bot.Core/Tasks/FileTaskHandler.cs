using System.Text;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;

namespace Bot.Core.Tasks;

/// <summary>
/// Files a task in the tracker, then, in one unit of work, records its link and state, notes it on the timeline and
/// enqueues the post of the link in the incident channel. A retry after filing finds the issue by its marker.
/// </summary>
public sealed class FileTaskHandler(IIncidentStore store, IIssueTracker tracker) : ChatEffectHandler(store)
{
    public override string Kind => EffectKinds.FileTask;

    protected override async Task HandleAsync(EffectJob job, Incident incident, ChatPayload payload, CancellationToken cancellationToken)
    {
        var number = payload.Task ?? throw new PermanentEffectException("The job names no task.");
        var task = (await Store.GetTasksAsync(incident.Number, cancellationToken)).FirstOrDefault(t => t.Number == number)
            ?? throw new PermanentEffectException($"{incident.Key} has no task {number}.");
        if (task.Url is not null)
        {
            return;
        }

        var issue = await tracker.FileAsync(Request(incident, task), cancellationToken);
        await Store.WriteAsync(
            s =>
            {
                s.UpdateTask(incident.Number, number, issue.Url, issue.State);
                var text = $"Task {number} ({task.Kind}) filed: {issue.Url}";
                s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Task, Actor.Bot, text));
                if (s.GetIncident(incident.Number) is { IsOpen: false } resolved)
                {
                    s.Enqueue(PostmortemJobs.For(resolved, s.Now)); // the draft is written; it now gets the link
                }

                s.Enqueue(new EffectJob($"{job.Key}:link", EffectKinds.PostText, incident.Key, ChatPayload.Post(incident.Number, $"{text} \u2014 {task.Title}", announce: false), s.Now));
                return true;
            },
            cancellationToken);
    }

    public static IssueRequest Request(Incident incident, IncidentTask task)
    {
        var body = new StringBuilder()
            .Append(task.Kind == IncidentTask.Preventive ? "Preventive" : "Corrective").Append(" task from incident **")
            .Append(incident.Key).Append("**: ").Append(Postmortems.Markdown.Escape(incident.Title)).Append(" (")
            .Append(incident.Severity.Display()).Append(").\n\n");
        if (incident.ChannelName is not null)
        {
            body.Append("- Incident channel: #").Append(incident.ChannelName);
            if (incident.ChannelId is not null)
            {
                body.Append(" (").Append(incident.ChannelId).Append(')');
            }

            body.Append('\n');
        }

        body.Append("- Opened: ").Append(incident.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)).Append(" UTC\n");
        body.Append("- Filed by the incident bot; the postmortem draft lists this issue.\n");
        return new IssueRequest(
            TaskJobs.Marker(incident, task.Number),
            incident.Key,
            task.Title,
            body.ToString(),
            ["incident", incident.Key, task.Kind, incident.Severity.Display()],
            task.Assignee);
    }
}
