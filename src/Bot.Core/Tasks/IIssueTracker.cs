namespace Bot.Core.Tasks;

/// <summary>
/// Where follow-up tasks are tracked: GitHub issues, or a local folder. Filing is idempotent by
/// <see cref="IssueRequest.Marker"/>: an adapter that finds an issue carrying the marker returns it instead of
/// filing a second one (a timeout after the tracker received the request must not make two issues).
/// </summary>
public interface IIssueTracker
{
    Task<FiledIssue> FileAsync(IssueRequest request, CancellationToken cancellationToken);

    /// <summary>The issue's current state (<c>open</c>, <c>closed</c>); null when the tracker does not know it.</summary>
    Task<string?> GetStateAsync(string url, CancellationToken cancellationToken);
}

/// <param name="Marker">Unique per task (<c>INC-42/task-1</c>); adapters hide it in the body and look it up.</param>
/// <param name="Group">One of <paramref name="Labels"/> that every issue of the incident carries (<c>INC-42</c>): the marker is looked up among those.</param>
/// <param name="Assignee">The chat user the task is for (Slack id or handle); the adapter maps it to a tracker user.</param>
public sealed record IssueRequest(string Marker, string Group, string Title, string Body, IReadOnlyList<string> Labels, string? Assignee);

public sealed record FiledIssue(string Url, string State);
