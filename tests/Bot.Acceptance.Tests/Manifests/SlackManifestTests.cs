using Bot.Slack.WebApi;
using Microsoft.AspNetCore.Routing;
using YamlDotNet.RepresentationModel;
using static Bot.Acceptance.Tests.Yaml;

namespace Bot.Acceptance.Tests.Manifests;

/// <summary>manifests/slack-app.yaml asks for exactly the scopes the code needs and points at what the bot serves.</summary>
public class SlackManifestTests
{
    private static YamlMappingNode Manifest() => Yaml.Load("manifests/slack-app.yaml")[0];

    [Fact]
    public void BotScopes_AreExactlyThoseTheCodeUses()
    {
        var scopes = Strings(At(Manifest(), "oauth_config", "scopes", "bot"));

        Assert.Equal(SlackScopes.All.Order(StringComparer.Ordinal), scopes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void BotEvents_AreThoseWeHandle() =>
        Assert.Equal(SlackScopes.BotEvents, Strings(At(Manifest(), "settings", "event_subscriptions", "bot_events")));

    [Fact]
    public async Task Urls_PointAtEndpointsTheBotServes()
    {
        var manifest = Manifest();
        var command = (YamlMappingNode)((YamlSequenceNode)At(manifest, "features", "slash_commands")).Children.Single();
        var urls = new[]
        {
            ((YamlScalarNode)command.Children[new YamlScalarNode("url")]).Value!,
            ((YamlScalarNode)At(manifest, "settings", "event_subscriptions", "request_url")).Value!,
            ((YamlScalarNode)At(manifest, "settings", "interactivity", "request_url")).Value!,
        };
        Assert.Equal("/incident", ((YamlScalarNode)command.Children[new YamlScalarNode("command")]).Value);

        await using var bot = await BotServer.StartAsync();
        var routes = bot.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/')).ToHashSet();

        Assert.All(urls, url => Assert.Contains(new Uri(url).AbsolutePath, routes));
    }

    [Fact]
    public void EveryMethodWithAScope_IsInSlacksOwnDescription()
    {
        var spec = File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "slack", "slack_web_openapi_v2.json"));

        Assert.All(SlackScopes.ByMethod.Keys, m => Assert.Contains($"\"/{m}\"", spec));
    }
}
