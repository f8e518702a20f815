using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Bot.GitHub.GitHub;

/// <summary>
/// The GitHub connection, section <c>GitHub</c> (shared with <see cref="Core.Postmortems.PostmortemOptions"/>). With
/// <see cref="Repository"/> and <see cref="Token"/> set, tasks are filed as issues and postmortem drafts opened as pull
/// requests there; with neither, both go to the local folder.
/// </summary>
public sealed partial class GitHubOptions
{
    public const string SectionName = "GitHub";

    /// <summary>A token that may create issues, branches, contents and pull requests in <see cref="Repository"/>.</summary>
    public string Token { get; set; } = "";

    /// <summary><c>owner/name</c>.</summary>
    public string Repository { get; set; } = "";

    /// <summary>The REST API root: <c>https://api.github.com/</c>, or GitHub Enterprise's <c>https://host/api/v3/</c>. Used as given.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.github.com/");

    /// <summary>The branch postmortem pull requests go into. Empty (default): the repository's default branch.</summary>
    public string BaseBranch { get; set; } = "";

    /// <summary>Chat user id (Slack <c>U123</c>) to GitHub login, for task assignees.</summary>
    public Dictionary<string, string> Users { get; set; } = [];

    /// <summary>How long one GitHub request may take before the job is tried again later. Default 20 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Repository) || !string.IsNullOrWhiteSpace(Token);

    public string Owner => Repository.Split('/')[0];

    public string Name => Repository.Split('/')[1];

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")]
    internal static partial Regex RepositoryPattern();
}

/// <summary>Checks <see cref="GitHubOptions"/> at start-up; each failure names the key.</summary>
public sealed class GitHubOptionsValidator : IValidateOptions<GitHubOptions>
{
    public ValidateOptionsResult Validate(string? name, GitHubOptions o)
    {
        const string s = GitHubOptions.SectionName;
        var errors = new List<string>();
        if (!o.ApiBaseUrl.IsAbsoluteUri || o.ApiBaseUrl.Scheme is not ("http" or "https"))
        {
            errors.Add($"{s}:ApiBaseUrl '{o.ApiBaseUrl}' must be an absolute http(s) URL, e.g. https://api.github.com/.");
        }

        if (o.RequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{s}:RequestTimeout must be positive (default 00:00:20).");
        }

        if (o.IsConfigured)
        {
            if (!GitHubOptions.RepositoryPattern().IsMatch(o.Repository))
            {
                errors.Add($"{s}:Repository is '{o.Repository}'; it must be owner/name, e.g. acme/infrastructure.");
            }

            if (string.IsNullOrWhiteSpace(o.Token))
            {
                errors.Add($"{s}:Token is missing; {s}:Repository needs a token that may create issues and pull requests.");
            }
        }

        foreach (var (user, login) in o.Users)
        {
            if (string.IsNullOrWhiteSpace(login) || login.Contains(' ', StringComparison.Ordinal))
            {
                errors.Add($"{s}:Users:{user} is '{login}'; it must be a GitHub login.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
