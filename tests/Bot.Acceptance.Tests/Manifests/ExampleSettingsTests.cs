using System.Text.Json;

namespace Bot.Acceptance.Tests.Manifests;

/// <summary>appsettings.example.json documents every setting: it must be valid, and complete.</summary>
public class ExampleSettingsTests
{
    private static string ExamplePath
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "appsettings.example.json")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new FileNotFoundException("appsettings.example.json not found above the test folder"), "appsettings.example.json");
        }
    }

    [Fact]
    public async Task ExampleSettings_StartTheBot()
    {
        var example = JsonDocument.Parse(File.ReadAllText(ExamplePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var settings = Flatten(example.RootElement, "")
            .Where(kv => kv.Key is not ("Urls" or "AllowedHosts") && kv.Key is not ("Storage:SqlitePath" or "LocalChat:Directory" or "GitHub:LocalDirectory")) // where it runs: here, loopback
            .ToDictionary(kv => kv.Key, kv => (string?)kv.Value);

        await using var bot = await BotServer.StartAsync(settings);

        var response = await bot.PostWebhookAsync("ci-pipeline", "{\"title\":\"Deploy failed\"}", "another-long-random-token");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(typeof(Bot.Webhooks.WebhookOptions), "Webhooks")]
    [InlineData(typeof(Core.Incidents.IncidentOptions), "Incidents")]
    [InlineData(typeof(Storage.StorageOptions), "Storage")]
    [InlineData(typeof(Core.Effects.OutboxOptions), "Outbox")]
    [InlineData(typeof(Slack.Local.LocalChatOptions), "LocalChat")]
    [InlineData(typeof(Slack.SlackOptions), "Slack")]
    [InlineData(typeof(Core.Postmortems.PostmortemOptions), "GitHub")]
    [InlineData(typeof(GitHub.GitHub.GitHubOptions), "GitHub")]
    [InlineData(typeof(Core.Escalation.RouteOptions), "Routes")]
    [InlineData(typeof(Bot.Security.ApiOptions), "Api")]
    [InlineData(typeof(Bot.Security.SecurityOptions), "Security")]
    [InlineData(typeof(Bot.Telemetry.TelemetryOptions), "OpenTelemetry")]
    [InlineData(typeof(Bot.Paging.Twilio.TwilioOptions), "Twilio")]
    [InlineData(typeof(Bot.Paging.Email.EmailOptions), "Email")]
    public void ExampleSettings_NameEveryOption(Type options, string section)
    {
        var example = JsonDocument.Parse(File.ReadAllText(ExamplePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var keys = example.RootElement.GetProperty(section).EnumerateObject().Select(p => p.Name).ToHashSet();

        Assert.All(options.GetProperties().Where(p => p.CanWrite), p => Assert.Contains(p.Name, keys));
    }

    [Fact]
    public void ExampleSettings_NamePagingSettings()
    {
        var example = JsonDocument.Parse(File.ReadAllText(ExamplePath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }).RootElement;
        var team = example.GetProperty("Teams").GetProperty("network");
        Assert.All(typeof(Core.Escalation.TeamOptions).GetProperties(), p => Assert.True(team.TryGetProperty(p.Name, out _), p.Name));
        Assert.All(typeof(Core.Escalation.RotationOptions).GetProperties(), p => Assert.True(team.GetProperty("Rotation").TryGetProperty(p.Name, out _), p.Name));
        var policy = example.GetProperty("EscalationPolicies").GetProperty("network");
        Assert.All(typeof(Core.Escalation.PolicyOptions).GetProperties(), p => Assert.True(policy.TryGetProperty(p.Name, out _), p.Name));
    }

    private static IEnumerable<KeyValuePair<string, string>> Flatten(JsonElement e, string prefix)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    foreach (var kv in Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}:{p.Name}"))
                    {
                        yield return kv;
                    }
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    foreach (var kv in Flatten(item, $"{prefix}:{i++}"))
                    {
                        yield return kv;
                    }
                }

                break;
            default:
                yield return new(prefix, e.ToString());
                break;
        }
    }
}
