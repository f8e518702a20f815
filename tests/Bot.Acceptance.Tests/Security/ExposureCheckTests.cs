using Bot.Security;
using Bot.Webhooks;
using Microsoft.Extensions.Configuration;

namespace Bot.Acceptance.Tests.Security;

/// <summary>A bot that other machines can reach does not start anonymous, unless told so on purpose.</summary>
public class ExposureCheckTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://127.0.0.5:8080", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("http://unix:/run/bot.sock", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://10.1.2.3:8080", false)]
    [InlineData("http://bot.example.com:8080", false)]
    public void IsLoopback(string url, bool expected) => Assert.Equal(expected, ExposureCheck.IsLoopback(url));

    [Fact]
    public async Task NonLoopbackAddress_WithAnonymousApiAndSources_StopsTheStart_NamingEveryKey()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["urls"] = "http://0.0.0.0:0", // refused before anything listens
            ["Webhooks:Sources:alertmanager:Token"] = "a-token-of-24-characters",
        }));

        Assert.Equal(
            "listening on http://0.0.0.0:0, which other machines can reach, but Api:Tokens, Webhooks:Sources:grafana:Token and " +
            "Webhooks:Sources:generic:Token are not set: anyone who can reach it could read incidents, run commands or send alerts. Set " +
            "them (docs/security.md; Webhooks:Sources:<name>:Enabled=false turns an unused source off), or set Security:AllowAnonymous=true " +
            "to allow it on purpose.",
            BotApp.StartupError(e));
    }

    [Fact]
    public async Task TheBotProcess_OnANonLoopbackAddress_ExitsWithOneLine()
    {
        var (code, stdout, stderr) = await BotAppTests.RunBotAsync("--urls=http://0.0.0.0:0");

        Assert.Equal(2, code);
        Assert.StartsWith("incident-bot: cannot start: listening on http://0.0.0.0:0, which other machines can reach, but Api:Tokens, ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("Now listening", stdout);
    }

    [Fact]
    public void WithTokensEverywhere_OnlyAllowedHostsIsAskedFor_AndThenItStarts()
    {
        var webhooks = new WebhookOptions();
        foreach (var source in webhooks.Sources.Values)
        {
            source.Token = "a-token-of-24-characters";
        }

        var api = new ApiOptions { Tokens = { ["ops"] = new ApiTokenOptions { Hash = ApiTokenHash.Of("x"), Scopes = ["read"] } } };
        IConfiguration Config(string? hosts) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:8080", ["AllowedHosts"] = hosts }).Build();

        Assert.Contains("AllowedHosts is not set", ExposureCheck.Check(Config(null), api, webhooks, new SecurityOptions()));
        Assert.Null(ExposureCheck.Check(Config("bot.example.com"), api, webhooks, new SecurityOptions()));
    }

    [Fact]
    public void AllowAnonymous_LetsItStartAnonymous_OnPurpose()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:8080", ["AllowedHosts"] = "*" }).Build();

        Assert.Null(ExposureCheck.Check(config, new ApiOptions(), new WebhookOptions(), new SecurityOptions { AllowAnonymous = true }));
        Assert.NotNull(ExposureCheck.Check(config, new ApiOptions(), new WebhookOptions(), new SecurityOptions()));
    }

    [Fact]
    public void KestrelEndpoints_CountToo()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:8080", ["Kestrel:Endpoints:public:Url"] = "http://0.0.0.0:9090" }).Build();

        Assert.Contains("listening on http://0.0.0.0:9090", ExposureCheck.Check(config, new ApiOptions(), new WebhookOptions(), new SecurityOptions()));
    }
}
