using System.Net;
using System.Text.Json;
using Bot.Core.Ports;
using Bot.Core.Store;
using Moq;

namespace Bot.Acceptance.Tests.Webhooks;

/// <summary>The webhook endpoint over real HTTP (Kestrel on 127.0.0.1).</summary>
public class WebhookEndpointTests
{
    private const string Token = "example-token-0123456789";

    private static Task<BotServer> StartAsync() =>
        BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:Token"] = Token });

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private static async Task<int> IncidentCountAsync(BotServer bot) => (await bot.GetJsonAsync("/api/incidents")).GetArrayLength();

    [Fact]
    public async Task Fire_Repeat_Resolve_OverHttp()
    {
        await using var bot = await StartAsync();

        var fired = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);
        var repeated = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);
        var resolved = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-resolved.json"), Token);

        Assert.Equal(HttpStatusCode.OK, fired.StatusCode);
        var firedBody = JsonDocument.Parse(await fired.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("INC-1", firedBody.GetProperty("opened")[0].GetString());
        Assert.Equal(2, firedBody.GetProperty("newAlerts").GetInt32());
        var repeatedBody = JsonDocument.Parse(await repeated.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(0, repeatedBody.GetProperty("opened").GetArrayLength());
        Assert.Equal(2, repeatedBody.GetProperty("unchangedAlerts").GetInt32());
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);

        var list = await bot.GetJsonAsync("/api/incidents");
        Assert.Equal(1, list.GetArrayLength());
        Assert.Equal((2, 0), (list[0].GetProperty("alertCount").GetInt32(), list[0].GetProperty("firingCount").GetInt32()));
        var details = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("triggered", details.GetProperty("incident").GetProperty("status").GetString()); // a person resolves
        Assert.Equal("SEV1", details.GetProperty("incident").GetProperty("severity").GetString());
        Assert.All(details.GetProperty("alerts").EnumerateArray(), a => Assert.Equal("resolved", a.GetProperty("status").GetString()));
        var timeline = details.GetProperty("timeline").EnumerateArray().Select(e => (Kind: e.GetProperty("kind").GetString(), Text: e.GetProperty("text").GetString()!)).ToList();
        // In time order: the fixtures' alerts started and ended before the bot received them.
        Assert.Equal(["alert_firing", "alert_resolved", "incident_opened"], timeline.Where(e => e.Kind != "chat_channel").Select(e => e.Kind));
        Assert.StartsWith("2 alerts firing: HighErrorRate", timeline[0].Text);
        Assert.StartsWith("2 alerts resolved: HighErrorRate", timeline.Single(e => e.Kind == "alert_resolved").Text);
    }

    [Fact]
    public async Task IncidentDetails_ListAsManyAlertsAsAsked_AndCountThemAll()
    {
        await using var bot = await StartAsync();
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);

        var one = await bot.GetJsonAsync("/api/incidents/INC-1?alerts=1");
        var bad = await bot.Client.GetAsync(new Uri("/api/incidents/INC-1?alerts=-1", UriKind.Relative));

        Assert.Equal(1, one.GetProperty("alerts").GetArrayLength());
        Assert.Equal(2, one.GetProperty("incident").GetProperty("alertCount").GetInt32());
        Assert.Equal(2, (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("alerts").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Join_SameGroupNewAlert_JoinsOpenIncident()
    {
        await using var bot = await StartAsync();
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);

        var third = Fixture.Text("alertmanager/v4-firing.json").Replace("bc86f931fa0f3056", "0000000000000003").Replace("lb-1:9100", "lb-3:9100");
        var response = await bot.PostWebhookAsync("alertmanager", third, Token);

        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("INC-1", body.GetProperty("updated")[0].GetString());
        Assert.Equal(3, (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("alerts").GetArrayLength());
    }

    [Fact]
    public async Task Incident_GetsChannelSummaryAndAnnouncementInLocalChat()
    {
        await using var bot = await StartAsync();

        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token);

        var details = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("incident").GetProperty("channel").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(10),
            "the incident channel");
        var channel = details.GetProperty("incident").GetProperty("channel").GetString()!;
        Assert.Matches("^inc-\\d{8}-higherrorrate", channel);
        var chat = Path.Combine(bot.Folder, "chat");
        var announcement = await BotServer.EventuallyAsync(
            () => Task.FromResult(File.Exists(Path.Combine(chat, "incidents.jsonl")) ? File.ReadAllText(Path.Combine(chat, "incidents.jsonl")) : ""),
            text => text.Contains("INC-1"),
            TimeSpan.FromSeconds(10),
            "the announcement");
        Assert.Contains(channel, announcement);
        var log = File.ReadAllText(Path.Combine(chat, channel + ".jsonl"));
        Assert.Contains("\"pinned\":true", log);
        Assert.Contains("incident_ack:INC-1", log);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task MissingOrWrongToken_Is401_AndNothingStored(string? token)
    {
        await using var bot = await StartAsync();

        var response = await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["Bearer", "Basic"], response.Headers.WwwAuthenticate.Select(h => h.Scheme));
        Assert.Contains("requires its token, as 'Authorization: Bearer <token>'", (await ProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    [Theory]
    [InlineData("grafana", Token, HttpStatusCode.OK)] // Grafana's contact points send basic authentication
    [InlineData("grafana", "wrong-password-0123456789", HttpStatusCode.Unauthorized)]
    [InlineData("someone", Token, HttpStatusCode.Unauthorized)] // the user name is checked when set
    public async Task BasicAuthentication_WithTheTokenAsPassword_IsAccepted(string user, string password, HttpStatusCode expected)
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:grafana:Token"] = Token, ["Webhooks:Sources:grafana:User"] = "grafana" });
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/grafana") { Content = new StringContent(Fixture.Text("grafana/v1-firing.json"), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));

        var response = await bot.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK ? 1 : 0, await IncidentCountAsync(bot));
    }

    [Theory]
    [InlineData("text/plain")] // what a web page may post to any address without asking first
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task BodyThatIsNotJson_Is415_AndNothingStored(string? contentType)
    {
        await using var bot = await StartAsync();
        var content = new StringContent("""{"title":"Cross-site alert"}""");
        content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        var response = await bot.Client.PostAsync("/webhooks/generic", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("must be JSON", (await ProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.example+json")]
    public async Task JsonMediaTypes_AreAccepted(string contentType)
    {
        await using var bot = await StartAsync();
        var content = new StringContent("""{"title":"Checkout slow"}""");
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        Assert.Equal(HttpStatusCode.OK, (await bot.Client.PostAsync("/webhooks/generic", content)).StatusCode);
    }

    [Fact]
    public async Task SourceWithoutToken_RefusesClientsOnOtherMachines()
    {
        await using var bot = await StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/generic") { Content = new StringContent("""{"title":"From afar"}""", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Forwarded-For", "203.0.113.7"); // through a reverse proxy on loopback: the client is elsewhere

        var response = await bot.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Webhooks:Sources:generic:Token", (await ProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    [Fact]
    public async Task UnknownSource_Is404()
    {
        await using var bot = await StartAsync();

        var response = await bot.PostWebhookAsync("pagerduty", "{}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("No webhook source is named 'pagerduty'", (await ProblemAsync(response)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("{\"version\":\"4\",\"alerts\":[", "Malformed JSON")]
    [InlineData("{\"version\":\"3\",\"alerts\":[]}", "expects version '4'")]
    [InlineData("{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":\"b\"}}]}", "alerts[0].startsAt is required")]
    public async Task BadBody_Is400WithProblem_AndNothingStored(string body, string expected)
    {
        await using var bot = await StartAsync();

        var response = await bot.PostWebhookAsync("alertmanager", body, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    [Fact]
    public async Task BadAlertAmongGoodOnes_RejectsTheWholeWebhook()
    {
        await using var bot = await StartAsync();
        var json = Fixture.Text("alertmanager/v4-firing.json").Replace("\"status\": \"firing\",\n            \"labels\"", "\"status\": \"burning\",\n            \"labels\"");
        Assert.Contains("burning", json);

        var response = await bot.PostWebhookAsync("alertmanager", json, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    /// <summary>
    /// Alertmanager sends every alert of a group in each webhook, so a storm's group grows its webhooks: 10,000 alerts
    /// (~4 MiB) must be taken by default, once and then again unchanged at the next interval.
    /// </summary>
    [Fact]
    public async Task AnAlertmanagerGroupOf10000Alerts_IsTakenWhole()
    {
        await using var bot = await StartAsync();
        var alerts = Enumerable.Range(0, 10_000).Select(i => new Dictionary<string, object>
        {
            ["status"] = "firing",
            ["labels"] = new Dictionary<string, string> { ["alertname"] = "HighRequestRate", ["service"] = "transactions", ["instance"] = $"edge-{i}.example.net:9100", ["severity"] = "critical", ["team"] = "network" },
            ["annotations"] = new Dictionary<string, string> { ["summary"] = "Request rate above 10x the baseline", ["runbook_url"] = "https://runbooks.example/ddos" },
            ["startsAt"] = "2026-11-24T00:45:43.209Z",
            ["endsAt"] = "0001-01-01T00:00:00Z",
            ["generatorURL"] = "http://prometheus.example:9090/graph?g0.expr=rate%28requests_total%5B1m%5D%29+%3E+10",
            ["fingerprint"] = i.ToString("x16", System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["receiver"] = "bot",
            ["status"] = "firing",
            ["version"] = "4",
            ["groupKey"] = "{}:{alertname=\"HighRequestRate\", service=\"transactions\"}",
            ["truncatedAlerts"] = 0,
            ["groupLabels"] = new Dictionary<string, string> { ["alertname"] = "HighRequestRate", ["service"] = "transactions" },
            ["commonLabels"] = new Dictionary<string, string> { ["alertname"] = "HighRequestRate", ["service"] = "transactions" },
            ["commonAnnotations"] = new Dictionary<string, string>(),
            ["externalURL"] = "http://alertmanager.example:9093",
            ["alerts"] = alerts,
        });
        Assert.True(json.Length > 3 * 1024 * 1024, $"{json.Length} bytes");

        var first = await bot.PostWebhookAsync("alertmanager", json, Token);
        var again = await bot.PostWebhookAsync("alertmanager", json, Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(10_000, JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("newAlerts").GetInt32());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(10_000, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("unchangedAlerts").GetInt32());
        var incident = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal(10_000, incident.GetProperty("incident").GetProperty("alertCount").GetInt32());
        Assert.Equal(1, await IncidentCountAsync(bot));
    }

    /// <summary>
    /// Under Alertmanager's <c>max_alerts</c>, a webhook carries the group's first alerts and counts the rest in
    /// <c>truncatedAlerts</c>: those it carries are stored, and the ones left out are logged (the bot never hears of them).
    /// </summary>
    [Fact]
    public async Task AlertsTheSenderLeftOut_AreLogged_AndTheOthersStored()
    {
        var logs = new LogCapture();
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:Token"] = Token }, logs.AddTo);
        var json = Fixture.Text("alertmanager/v4-firing.json").Replace("\"truncatedAlerts\": 0", "\"truncatedAlerts\": 7", StringComparison.Ordinal);
        Assert.Contains("\"truncatedAlerts\": 7", json);

        var response = await bot.PostWebhookAsync("alertmanager", json, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await IncidentCountAsync(bot));
        Assert.Contains(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("Webhook from alertmanager left out 7 alerts", StringComparison.Ordinal));
    }

    /// <summary>A body over the limit is refused (its alerts lost: Alertmanager does not retry a 4xx), and the refusal is logged for whoever runs the bot.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BodyOverTheLimit_Is413_AndLogged(bool chunked)
    {
        var logs = new LogCapture();
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:Token"] = Token }, logs.AddTo);
        var big = "{\"title\":\"" + new string('x', 8 * 1024 * 1024) + "\"}";
        HttpContent content = chunked
            ? new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big)))
            : new StringContent(big);
        content.Headers.ContentType = new("application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/generic") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        var response = await bot.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var detail = (await ProblemAsync(response)).GetProperty("detail").GetString();
        Assert.Contains("8388608 bytes", detail);
        Assert.Contains("max_alerts", detail);
        Assert.Equal(0, await IncidentCountAsync(bot));
        Assert.Contains(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("Webhook from generic refused", StringComparison.Ordinal) && e.Message.Contains("8388608", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StoreUnavailable_Is503WithRetryAfter_NeverA2xx()
    {
        var store = new Mock<IIncidentStore>();
        store.Setup(s => s.WriteAsync(It.IsAny<Func<IStoreSession, Core.Intake.IngestReport>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StoreUnavailableException("disk I/O error"));
        store.Setup(s => s.WriteAsync(It.IsAny<Func<IStoreSession, Core.Intake.IngestReport>>(), It.IsAny<Affinity>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StoreUnavailableException("disk I/O error"));
        store.Setup(s => s.WriteAsync(It.IsAny<Func<IStoreSession, IReadOnlyList<Core.Effects.EffectJob>>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StoreUnavailableException("disk I/O error"));
        store.Setup(s => s.CheckAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new StoreUnavailableException("disk I/O error"));
        await using var bot = await BotServer.StartAsync(configure: b => b.Services.AddSingleton(store.Object));

        var response = await bot.PostWebhookAsync("generic", "{\"title\":\"Disk full\"}");
        var ready = await bot.Client.GetAsync("/readyz");
        var live = await bot.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Contains("not stored", (await ProblemAsync(response)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Generic_And_Grafana_Sources_Work()
    {
        await using var bot = await StartAsync();

        var generic = await bot.PostWebhookAsync("generic", Fixture.Text("generic/firing.json"));
        var grafana = await bot.PostWebhookAsync("grafana", Fixture.Text("grafana/v1-firing.json"));

        Assert.Equal(HttpStatusCode.OK, generic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, grafana.StatusCode);
        var list = await bot.GetJsonAsync("/api/incidents");
        Assert.Equal(["grafana", "generic"], list.EnumerateArray().Select(i => i.GetProperty("source").GetString()));
        Assert.Equal("SEV2", list[0].GetProperty("severity").GetString());
    }
}
