using System.Net;

namespace Bot.Acceptance.Tests.Composition;

/// <summary>Secrets from files (<c>*File</c> settings), as Kubernetes mounts them.</summary>
public sealed class SecretFilesTests : IDisposable
{
    private const string Token = "token-from-a-mounted-file-0123";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bot-secrets", Guid.NewGuid().ToString("n"));

    public SecretFilesTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SecretFile(string content)
    {
        var path = Path.Combine(_folder, Guid.NewGuid().ToString("n"));
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task ATokenFile_IsTheSourcesToken_WithoutItsFinalLineBreak()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:TokenFile"] = SecretFile(Token + "\n") });

        var right = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);
        var wrong = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token + "x");

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task ASecretFile_IsValidatedLikeTheSecret()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(new Dictionary<string, string?> { ["Slack:SigningSecretFile"] = SecretFile("short") }));

        Assert.StartsWith("Slack:SigningSecret is 5 characters", BotApp.StartupError(e));
    }

    [Theory]
    [InlineData("both", "Slack:SigningSecret and Slack:SigningSecretFile are both set; give the secret one way.")]
    [InlineData("missing", "Slack:SigningSecretFile '/nonexistent/slack-signing-secret' cannot be read: ")]
    [InlineData("empty", "is empty.")]
    public async Task ASecretFileThatCannotBeUsed_StopsTheStart_NamingTheKey(string problem, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Slack:SigningSecretFile"] = problem switch
            {
                "missing" => "/nonexistent/slack-signing-secret",
                "empty" => SecretFile("\n"),
                _ => SecretFile("a-signing-secret-of-32-characters"),
            },
        };
        if (problem == "both")
        {
            settings["Slack:SigningSecret"] = "another-signing-secret-0123456";
        }

        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(settings));

        Assert.Contains(expected, BotApp.StartupError(e));
    }
}
