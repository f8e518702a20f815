namespace Bot.Core.Postmortems;

/// <summary>
/// Puts a postmortem draft where engineers review it: a pull request in the repository, or a local folder. Publishing
/// the same incident again updates the same draft (one branch, one pull request, one file).
/// </summary>
public interface IPostmortemPublisher
{
    /// <returns>Where the draft can be read: the pull request's URL, or the file's path.</returns>
    Task<string> PublishAsync(PostmortemDraft draft, CancellationToken cancellationToken);
}

/// <param name="Path">The file's path in the repository, e.g. <c>postmortems/2023-08-05-INC-42-ddos.md</c>.</param>
public sealed record PostmortemDraft(string IncidentKey, string Title, string Path, string Markdown);
