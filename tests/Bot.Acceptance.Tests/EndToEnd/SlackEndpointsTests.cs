using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Bot.Slack.Signing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>Signed Slack requests to the running bot over HTTP.</summary>
public class SlackEndpointsTests
{
    private const string Secret = "test-signing-secret";

    private static Task<BotServer> StartAsync() =>
        BotServer.StartAsync(new Dictionary<string, string?> { ["Slack:SigningSecret"] = Secret });

    private static Task<HttpResponseMessage> SignedAsync(BotServer bot, string path, string body, string contentType = "application/x-www-form-urlencoded", string secret = Secret, long? timestamp = null)
    {
        var ts = (timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Add(SlackSignature.TimestampHeader, ts);
        request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(secret, ts, Encoding.UTF8.GetBytes(body)));
        return bot.Client.SendAsync(request);
    }

    private static string Command(string text, string channel, string user = "U1", string userName = "alice", string? responseUrl = null) =>
        $"command=%2Fincident&text={Uri.EscapeDataString(text)}&user_id={user}&user_name={userName}&channel_id={Uri.EscapeDataString(channel)}" +
        $"&team_id=T1&response_url={Uri.EscapeDataString(responseUrl ?? "https://hooks.slack.com/commands/T1/1/x")}&trigger_id=1.2.3";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task SlashCommands_RunAWholeIncident_FromDeclareToResolve_EachAnsweredInTime()
    {
        await using var bot = await StartAsync();

        var watch = Stopwatch.StartNew();
        var declared = await SignedAsync(bot, "/slack/commands", Command("declare Checkout errors sev2", "C-GENERAL"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, declared.StatusCode);
        var answer = await JsonAsync(declared);
        Assert.Equal("in_channel", answer.GetProperty("response_type").GetString());
        Assert.StartsWith("Declared INC-1 (SEV2)", answer.GetProperty("text").GetString());

        var details = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("incident").GetProperty("channel").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(10),
            "the incident channel");
        var channel = details.GetProperty("incident").GetProperty("channel").GetString()!; // the local chat's channel id is its name

        foreach (var (text, user) in new[] { ("ack", "U2"), ("note 00:00 first responder joined", "U2"), ("status identified", "U1"), ("mitigated", "U1"), ("resolve Rolled back", "U1") })
        {
            watch.Restart();
            var response = await SignedAsync(bot, "/slack/commands", Command(text, channel, user, user == "U1" ? "alice" : "bob"));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"'{text}' took {watch.Elapsed}");
            var body = await JsonAsync(response);
            Assert.DoesNotContain("works in an incident", body.GetProperty("text").GetString());
        }

        var wrongPlace = await JsonAsync(await SignedAsync(bot, "/slack/commands", Command("ack", "C-GENERAL")));
        Assert.Equal("ephemeral", wrongPlace.GetProperty("response_type").GetString());
        Assert.Contains("works in an incident's channel", wrongPlace.GetProperty("text").GetString());

        var final = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("resolved", final.GetProperty("incident").GetProperty("status").GetString());
        var people = final.GetProperty("timeline").EnumerateArray()
            .Where(e => e.GetProperty("authorId").GetString() is "U1" or "U2")
            .Select(e => $"{e.GetProperty("authorId").GetString()}:{e.GetProperty("kind").GetString()}").ToList();
        Assert.Equal(["U2:note", "U1:incident_opened", "U2:status_changed", "U1:status_changed", "U1:status_changed", "U1:status_changed"], people);
    }

    [Theory]
    [InlineData("wrong", 0, "does not match")]
    [InlineData(Secret, -400, "more than five minutes")]
    public async Task BadSignature_Is401_AndNothingDone(string secret, int skewSeconds, string detail)
    {
        await using var bot = await StartAsync();

        var response = await SignedAsync(bot, "/slack/commands", Command("declare Not me", "C1"), secret: secret, timestamp: DateTimeOffset.UtcNow.ToUnixTimeSeconds() + skewSeconds);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(detail, (await JsonAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
    }

    [Fact]
    public async Task MissingSignatureHeaders_Is401()
    {
        await using var bot = await StartAsync();

        var response = await bot.Client.PostAsync("/slack/events", new StringContent("{\"type\":\"url_verification\",\"challenge\":\"x\"}"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task WithoutSigningSecret_SlackEndpointsAre404()
    {
        await using var bot = await BotServer.StartAsync();

        var response = await SignedAsync(bot, "/slack/commands", Command("list", "C1"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/slack/interactions", "payload=notjson", "application/x-www-form-urlencoded", "The form field 'payload' is not JSON: ")]
    [InlineData("/slack/interactions", "x=1", "application/x-www-form-urlencoded", "The form field 'payload' is missing.")]
    [InlineData("/slack/events", "{", "application/json", "Malformed JSON: ")]
    [InlineData("/slack/events", """{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"\ud800"}}}""", "application/json", "The text at $.event.item.ts is not valid UTF-16")]
    [InlineData("/slack/events", """{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"abc"}}}""", "application/json", "event.item.ts is 'abc'; a Slack message timestamp looks like 1700000000.000100.")]
    [InlineData("/slack/events", """{"type":"event_callback","event":{"type":"reaction_added"}}""", "application/json", "event_id is required")]
    [InlineData("/slack/interactions", "payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22%5Cud800%22%7D%7D", "application/x-www-form-urlencoded", "The text at $.user.id is not valid UTF-16")]
    public async Task SignedButMalformed_Is400SayingWhat(string path, string body, string contentType, string detail)
    {
        await using var bot = await StartAsync();

        var response = await SignedAsync(bot, path, body, contentType);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(detail, (await JsonAsync(response)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("""{"callback_id":"incident_declare","state":{"values":{"title":{"value":{"value":5}}}}}""", "title", "Say what is happening.")]
    [InlineData("""{"callback_id":"incident_declare","state":{"values":{"title":[1,2]}}}""", "title", "Say what is happening.")]
    [InlineData("""{"callback_id":"incident_declare","state":"x"}""", "title", "The form came back empty: try again.")]
    public async Task ViewSubmission_WithWrongTypes_KeepsTheFormOpenSayingWhat(string view, string block, string error)
    {
        await using var bot = await StartAsync();
        var payload = $$"""{"type":"view_submission","user":{"id":"U1","name":"alice"},"view":{{view}}}""";

        var response = await SignedAsync(bot, "/slack/interactions", "payload=" + Uri.EscapeDataString(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(error, (await JsonAsync(response)).GetProperty("errors").GetProperty(block).GetString());
    }

    [Fact]
    public async Task UrlVerification_EchoesTheChallenge()
    {
        await using var bot = await StartAsync();

        var response = await SignedAsync(bot, "/slack/events", "{\"token\":\"t\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}", "application/json");

        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", (await JsonAsync(response)).GetProperty("challenge").GetString());
    }

    [Fact]
    public async Task AcknowledgeButton_AcknowledgesAsTheClickingUser_AndAnswersThroughResponseUrl()
    {
        await using var hooks = await ResponseUrlCollector.StartAsync();
        await using var bot = await StartAsync();
        await SignedAsync(bot, "/slack/commands", Command("declare Checkout errors", "C-GENERAL"));

        var payload = JsonSerializer.Serialize(new
        {
            type = "block_actions",
            user = new { id = "U7", username = "carol", name = "carol" },
            channel = new { id = "C-ANY" },
            response_url = hooks.Url,
            actions = new[] { new { action_id = "incident_ack", value = "INC-1", type = "button" } },
        });
        var watch = Stopwatch.StartNew();
        var response = await SignedAsync(bot, "/slack/interactions", "payload=" + Uri.EscapeDataString(payload));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3));
        var answer = await hooks.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("carol acknowledged the incident", answer);
        var incident = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("acknowledged", incident.GetProperty("incident").GetProperty("status").GetString());
        Assert.Contains(incident.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("authorId").GetString() == "U7");
    }

    /// <summary>A stand-in for Slack's response_url on 127.0.0.1 that records what the bot posts.</summary>
    private sealed class ResponseUrlCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly System.Threading.Channels.Channel<string> _posts = System.Threading.Channels.Channel.CreateUnbounded<string>();

        private ResponseUrlCollector(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public static async Task<ResponseUrlCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var collector = new ResponseUrlCollector(app);
            app.MapPost("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                await collector._posts.Writer.WriteAsync(await reader.ReadToEndAsync());
                return Results.Ok();
            });
            await app.StartAsync();
            collector.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/hook";
            return collector;
        }

        public async Task<string> NextAsync(TimeSpan timeout) => await _posts.Reader.ReadAsync().AsTask().WaitAsync(timeout);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
