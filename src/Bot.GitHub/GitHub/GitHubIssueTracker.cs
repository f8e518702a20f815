using System.Text.RegularExpressions;
using Bot.Core.Ports;
using Bot.Core.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit;

namespace Bot.GitHub.GitHub;

/// <summary>
/// Files tasks as GitHub issues. Each issue carries a hidden marker (<c>&lt;!-- incident-bot:INC-42/task-1 --&gt;</c>);
/// before creating one, the issues with the incident's label are searched for it, so a retry after a timeout that
/// GitHub did receive returns the first issue instead of filing a second.
/// </summary>
public sealed partial class GitHubIssueTracker(IOptions<GitHubOptions> options, TimeProvider time, ILogger<GitHubIssueTracker> log) : IIssueTracker
{
    private readonly Lazy<IGitHubClient> _client = new(() => GitHubClientFactory.Create(options.Value));

    private GitHubOptions O => options.Value;

    public static string MarkerComment(string marker) => $"<!-- incident-bot:{marker} -->";

    public async Task<FiledIssue> FileAsync(Core.Tasks.IssueRequest request, CancellationToken cancellationToken)
    {
        var client = _client.Value;
        var marker = MarkerComment(request.Marker);
        var existing = await GitHubErrors.Call(O, time, "look for the task's issue", () => client.Issue.GetAllForRepository(
            O.Owner, O.Name, new RepositoryIssueRequest { State = ItemStateFilter.All, Labels = { request.Group } }, new ApiOptions { PageSize = 100 }));
        if (existing.FirstOrDefault(i => i.PullRequest is null && i.Body?.Contains(marker, StringComparison.Ordinal) == true) is { } found)
        {
            log.LogInformation("Task {Marker} was already filed as {Url}", request.Marker, found.HtmlUrl);
            return new FiledIssue(found.HtmlUrl, found.State.StringValue);
        }

        var issue = new NewIssue(request.Title) { Body = $"{request.Body}\n{marker}\n" };
        foreach (var label in request.Labels)
        {
            issue.Labels.Add(label);
        }

        var login = request.Assignee is { } who ? O.Users.GetValueOrDefault(who) : null;
        if (login is not null)
        {
            issue.Assignees.Add(login);
        }

        Issue created;
        try
        {
            created = await GitHubErrors.Call(O, time, "file the task as an issue", () => client.Issue.Create(O.Owner, O.Name, issue));
        }
        catch (Core.Effects.PermanentEffectException e) when (login is not null && e.InnerException is ApiValidationException)
        {
            // GitHub refuses assignees who cannot be assigned in the repository: file it unassigned and say so.
            log.LogWarning("GitHub refused assignee {Login} for {Marker}; filing it unassigned", login, request.Marker);
            issue.Assignees.Clear();
            issue.Body += $"\n_{login} could not be assigned: {e.Message}_\n";
            created = await GitHubErrors.Call(O, time, "file the task as an issue", () => client.Issue.Create(O.Owner, O.Name, issue));
        }

        return new FiledIssue(created.HtmlUrl, created.State.StringValue);
    }

    public async Task<string?> GetStateAsync(string url, CancellationToken cancellationToken)
    {
        if (IssueNumber().Match(url) is not { Success: true } m)
        {
            return null;
        }

        var issue = await GitHubErrors.Call(O, time, "read the task's issue", () => _client.Value.Issue.Get(O.Owner, O.Name, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        return issue.State.StringValue;
    }

    [GeneratedRegex(@"/issues/(\d+)$")]
    private static partial Regex IssueNumber();
}
