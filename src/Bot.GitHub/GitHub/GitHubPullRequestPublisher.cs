using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Octokit;

namespace Bot.GitHub.GitHub;

/// <summary>
/// Publishes a postmortem draft as a pull request: branch <c>postmortem/&lt;incident&gt;</c> from the base branch,
/// the file committed there (created, or updated when it changed), and one open pull request, found again on every
/// later publish: publishing again updates the same pull request. Every step finds what an earlier, interrupted try
/// did, so a retried job makes no second branch, commit or pull request.
/// </summary>
public sealed class GitHubPullRequestPublisher(IOptions<GitHubOptions> options, TimeProvider time, ILogger<GitHubPullRequestPublisher> log) : IPostmortemPublisher
{
    private readonly Lazy<IGitHubClient> _client = new(() => GitHubClientFactory.Create(options.Value));

    private GitHubOptions O => options.Value;

    public static string BranchFor(string incidentKey) => $"postmortem/{incidentKey}";

    public async Task<string> PublishAsync(PostmortemDraft draft, CancellationToken cancellationToken)
    {
        var client = _client.Value;
        var (owner, name) = (O.Owner, O.Name);
        var branch = BranchFor(draft.IncidentKey);
        var baseBranch = O.BaseBranch.Length > 0
            ? O.BaseBranch
            : (await Call("read the repository", () => client.Repository.Get(owner, name))).DefaultBranch;

        await EnsureBranchAsync(client, branch, baseBranch);

        var title = Core.Postmortems.Markdown.DefuseMentions(draft.Title); // an alert's "@org/team" notifies no one from here
        var message = $"Postmortem draft of {draft.IncidentKey}: {title}";
        var current = await FindFileAsync(client, draft.Path, branch);
        if (current is null)
        {
            await Call("commit the postmortem draft", () => client.Repository.Content.CreateFile(owner, name, draft.Path, new CreateFileRequest(message, draft.Markdown, branch)));
        }
        else if (current.Content != draft.Markdown)
        {
            await Call("update the postmortem draft", () => client.Repository.Content.UpdateFile(owner, name, draft.Path, new UpdateFileRequest($"Update {message}", draft.Markdown, current.Sha, branch)));
        }

        var open = await Call("look for the postmortem pull request", () => client.PullRequest.GetAllForRepository(
            owner, name, new PullRequestRequest { Head = $"{owner}:{branch}", State = ItemStateFilter.Open }));
        if (open.Count > 0)
        {
            return open[0].HtmlUrl;
        }

        var body = $"The incident bot's postmortem draft of **{draft.IncidentKey}**, in `{draft.Path}`.\n\n" +
                   "Fill in the marked blanks, correct what the bot could not know, and merge when the review is done. " +
                   "Later changes to the incident (and `/incident postmortem`) update this pull request.";
        var created = await Call("open the postmortem pull request", () => client.PullRequest.Create(owner, name, new NewPullRequest($"Postmortem: {draft.IncidentKey} {title}", branch, baseBranch) { Body = body }));
        log.LogInformation("Opened postmortem pull request {Url} for {Incident}", created.HtmlUrl, draft.IncidentKey);
        return created.HtmlUrl;
    }

    private async Task EnsureBranchAsync(IGitHubClient client, string branch, string baseBranch)
    {
        if (await Find(() => client.Git.Reference.Get(O.Owner, O.Name, $"heads/{branch}")) is not null)
        {
            return;
        }

        var from = await Call($"read the base branch {baseBranch} (GitHub:BaseBranch)", () => client.Git.Reference.Get(O.Owner, O.Name, $"heads/{baseBranch}"));
        try
        {
            await client.Git.Reference.Create(O.Owner, O.Name, new NewReference($"refs/heads/{branch}", from.Object.Sha));
        }
        catch (ApiException e)
        {
            // 422 "Reference already exists": made by an earlier try whose answer was lost
            if (e is not ApiValidationException || await Find(() => client.Git.Reference.Get(O.Owner, O.Name, $"heads/{branch}")) is null)
            {
                throw GitHubErrors.Map(e, O, time, $"create the branch {branch}");
            }
        }
    }

    private async Task<RepositoryContent?> FindFileAsync(IGitHubClient client, string path, string branch)
    {
        var found = await Find(() => client.Repository.Content.GetAllContentsByRef(O.Owner, O.Name, path, branch));
        return found?.FirstOrDefault(c => c.Type.Value == ContentType.File);
    }

    private Task<T> Call<T>(string doing, Func<Task<T>> call) => GitHubErrors.Call(O, time, doing, call);

    /// <summary>The thing, or null when GitHub answers 404.</summary>
    private async Task<T?> Find<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (NotFoundException)
        {
            return null;
        }
        catch (ApiException e)
        {
            throw GitHubErrors.Map(e, O, time, "read the repository");
        }
    }
}
