namespace Bot.Core.Ports;

/// <summary>
/// Puts a postmortem draft where engineers review it: a pull request in the repository, or a local folder. Publishing
/// the same incident again updates the same draft (one branch, one pull request, one file).
/// </summary>
public interface IPostmortemPublisher
{
    /// <returns>Where the draft can be read: the pull request's URL, or the file's path.</returns>
    Task<string> PublishAsync(string incidentKey, string path, string markdown, CancellationToken cancellationToken);
}
