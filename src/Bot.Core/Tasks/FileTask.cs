using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Core.Tasks;

/// <summary>File a task of an incident in the tracker (a GitHub issue): one job per task, in the incident's task order.</summary>
public sealed record FileTaskJob(long Incident, int Task) : IIncidentJob, IJob<FileTaskJob>
{
    public static string Kind => "tasks.file";

    public static string Description => "file the task as an issue";

    public static JsonTypeInfo<FileTaskJob> Json => TaskJsonContext.Default.FileTaskJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:task:{Task}";

    [JsonIgnore]
    public string OrderingKey => $"{Incidents.Incident.FormatKey(Incident)}:tasks";

    /// <summary>The marker that makes filing idempotent at the tracker.</summary>
    public static string Marker(Incident incident, int task) => $"{incident.Key}/task-{task}";
}

/// <summary>
/// Files a task in the tracker, then, in one unit of work, records its link and state, notes it on the timeline and
/// asks for the post of the link in the incident channel. A retry after filing finds the issue by its marker.
/// </summary>
public sealed class FileTaskHandler(IIncidentReads reads, IUnitOfWork<ITaskSession> store, IIssueTracker tracker) : ChatJobHandler<FileTaskJob>(reads)
{
    protected override async Task HandleAsync(FileTaskJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var number = job.Task;
        var task = (await Reads.GetTasksAsync(incident.Number, cancellationToken)).FirstOrDefault(t => t.Number == number)
            ?? throw new PermanentEffectException($"{incident.Key} has no task {number}.");
        if (task.Url is not null)
        {
            return;
        }

        var issue = await tracker.FileAsync(Request(incident, task), cancellationToken);
        await store.WriteAsync(
            s =>
            {
                s.UpdateTask(incident.Number, number, issue.Url, issue.State);
                var text = $"Task {number} ({task.Kind}) filed: {issue.Url}";
                s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Task, Actor.Bot, text));
                if (s.GetIncident(incident.Number) is { IsOpen: false } resolved)
                {
                    s.Enqueue(PublishPostmortemJob.For(resolved.Number, s.Now)); // the draft is written; it now gets the link
                }

                s.Enqueue(new PostTextJob(incident.Number, $"{text} \u2014 {task.Title}", false, $"{run.Key}:link"));
                return true;
            },
            cancellationToken);
    }

    public static IssueRequest Request(Incident incident, IncidentTask task)
    {
        var body = new StringBuilder()
            .Append(task.Kind == IncidentTask.Preventive ? "Preventive" : "Corrective").Append(" task from incident **")
            .Append(incident.Key).Append("**: ").Append(Markdown.Escape(incident.Title)).Append(" (")
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

        body.Append("- Opened: ").Append(incident.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)).Append(" UTC\n");
        body.Append("- Filed by the incident bot; the postmortem draft lists this issue.\n");
        return new IssueRequest(
            FileTaskJob.Marker(incident, task.Number),
            incident.Key,
            task.Title,
            body.ToString(),
            ["incident", incident.Key, task.Kind, incident.Severity.Display()],
            task.Assignee);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileTaskJob))]
public sealed partial class TaskJsonContext : JsonSerializerContext;

public static class TaskJobs
{
    public static IServiceCollection AddTaskJobs(this IServiceCollection services) => services.AddJob<FileTaskJob, FileTaskHandler>();
}
