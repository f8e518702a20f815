using Bot.GitHub.GitHub;

namespace Bot.GitHub.Tests.GitHub;

/// <summary>The metric label of a GitHub call: its route, with the repository, numbers, refs and paths taken out (few values).</summary>
public class GitHubCallCounterTests
{
    [Theory]
    [InlineData("POST", "https://api.github.com/repos/acme/payments/issues", "POST /repos/{repo}/issues")]
    [InlineData("GET", "https://api.github.com/repos/acme/payments/issues/42", "GET /repos/{repo}/issues/{n}")]
    [InlineData("GET", "https://api.github.com/repos/acme/payments/issues?labels=incident&state=all", "GET /repos/{repo}/issues")]
    [InlineData("PUT", "https://api.github.com/repos/acme/payments/contents/postmortems/2023-08-05-INC-1.md", "PUT /repos/{repo}/contents/{path}")]
    [InlineData("GET", "https://api.github.com/repos/acme/payments/git/ref/heads/postmortem/INC-1", "GET /repos/{repo}/git/ref/{ref}")]
    [InlineData("POST", "https://ghe.example.com/api/v3/repos/acme/payments/pulls", "POST /api/v3/repos/{repo}/pulls")]
    public void Route_KeepsTheVerbAndTheRoute_AndDropsWhatVaries(string method, string url, string expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);

        Assert.Equal(expected, GitHubCallCounter.Route(request));
    }
}
