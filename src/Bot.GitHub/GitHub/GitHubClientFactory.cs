using Octokit;
using Octokit.Internal;

namespace Bot.GitHub.GitHub;

/// <summary>
/// Builds the Octokit client on <see cref="GitHubOptions.ApiBaseUrl"/> exactly as given. (Octokit's own
/// <c>GitHubClient(header, uri)</c> rewrites every host but github.com to <c>/api/v3/</c>; building the connection
/// ourselves keeps the address, so GitHub Enterprise and test servers both work.)
/// </summary>
public static class GitHubClientFactory
{
    public static readonly ProductHeaderValue Product = new("incident-bot", typeof(GitHubClientFactory).Assembly.GetName().Version?.ToString(3) ?? "1.0.0");

    public static IGitHubClient Create(GitHubOptions options)
    {
        var connection = new Connection(
            Product,
            options.ApiBaseUrl,
            new InMemoryCredentialStore(new Credentials(options.Token)),
            new HttpClientAdapter(() => new GitHubCallCounter(HttpMessageHandlerFactory.CreateDefault())),
            new SimpleJsonSerializer());
        var client = new GitHubClient(connection);
        client.SetRequestTimeout(options.RequestTimeout);
        return client;
    }
}
