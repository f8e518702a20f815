using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bot.Security;

namespace Bot.Acceptance.Tests.Security;

/// <summary>
/// <c>/api/*</c> over real HTTP: tokens from <c>Api:Tokens</c> with scopes and the user they act as; without tokens,
/// clients on this machine only.
/// </summary>
public class ApiTokenHandlerTests
{
    private const string Reader = "ibot_reader-secret-0123456789abcdefghijklmnopq";
    private const string Eve = "ibot_eve-secret-0123456789abcdefghijklmnopqrstu";
    private const string Bridge = "ibot_bridge-secret-0123456789abcdefghijklmnopq";
    private const string Scraper = "ibot_prometheus-secret-0123456789abcdefghijklm";

    private static Dictionary<string, string?> Tokens() => new()
    {
        ["Api:Tokens:dashboard:Hash"] = ApiTokenHash.Of(Reader),
        ["Api:Tokens:dashboard:Scopes:0"] = "read",
        ["Api:Tokens:eve:Hash"] = ApiTokenHash.Of(Eve),
        ["Api:Tokens:eve:Scopes:0"] = "read",
        ["Api:Tokens:eve:Scopes:1"] = "commands",
        ["Api:Tokens:eve:User"] = "UEVE",
        ["Api:Tokens:eve:UserName"] = "eve",
        ["Api:Tokens:ci_bridge:Hash"] = ApiTokenHash.Of(Bridge),
        ["Api:Tokens:ci_bridge:Scopes:0"] = "commands",
        ["Api:Tokens:ci_bridge:Scopes:1"] = "act-as",
        ["Api:Tokens:ci_bridge:User"] = "UCI",
        ["Api:Tokens:prometheus:Hash"] = ApiTokenHash.Of(Scraper),
        ["Api:Tokens:prometheus:Scopes:0"] = "metrics",
        ["Incidents:Responders:0"] = "UALICE",
    };

    [Fact]
    public async Task Metrics_NeedTheMetricsScope_AndThatScopeReadsNothingElse()
    {
        await using var bot = await BotServer.StartAsync(Tokens());
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        var none = await SendAsync(bot, HttpMethod.Get, "/metrics", null);
        var reader = await SendAsync(bot, HttpMethod.Get, "/metrics", Reader);
        var scraper = await SendAsync(bot, HttpMethod.Get, "/metrics", Scraper);
        var incidents = await SendAsync(bot, HttpMethod.Get, "/api/incidents", Scraper);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scraper.StatusCode);
        Assert.Contains("incidentbot_webhooks_total{", await scraper.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, incidents.StatusCode);
    }

    private static Task<HttpResponseMessage> SendAsync(BotServer bot, HttpMethod method, string path, string? token, object? body = null, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return bot.Client.SendAsync(request);
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    [Fact]
    public async Task WithTokens_NoOrUnknownToken_Is401_EvenFromThisMachine()
    {
        await using var bot = await BotServer.StartAsync(Tokens());

        var none = await SendAsync(bot, HttpMethod.Get, "/api/incidents", null);
        var unknown = await SendAsync(bot, HttpMethod.Get, "/api/incidents", "ibot_not-a-token-0123456789abcdefghijklmnop");
        var command = await SendAsync(bot, HttpMethod.Post, "/api/commands", null, new { user = "UALICE", text = "declare Anonymous" });

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("Authorization: Bearer <token>", await DetailAsync(none));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, command.StatusCode);
        Assert.Equal(0, (await (await SendAsync(bot, HttpMethod.Get, "/api/incidents", Reader)).Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
    }

    [Fact]
    public async Task ReadToken_Reads_ButCannotCommand_AndIsToldWhichScope()
    {
        await using var bot = await BotServer.StartAsync(Tokens());
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        var list = await SendAsync(bot, HttpMethod.Get, "/api/incidents", Reader);
        var details = await SendAsync(bot, HttpMethod.Get, "/api/incidents/INC-1", Reader);
        var command = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", Reader, new { text = "ack" });

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.OK, details.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, command.StatusCode);
        Assert.Equal("Token 'dashboard' does not have the scope 'commands' (Api:Tokens:dashboard:Scopes).", await DetailAsync(command));
        Assert.Equal("triggered", (await bot.GetJsonAsync("/api/incidents/INC-1", Reader)).GetProperty("incident").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheAuthor_IsTheTokensUser_WhateverTheBodySays()
    {
        await using var bot = await BotServer.StartAsync(Tokens());
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        // The finding: {"user":"UALICE","text":"resolve"} resolved as alice, a responder, whoever sent it.
        var resolve = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", Eve, new { user = "UALICE", userName = "alice", text = "resolve" });
        var note = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", Eve, new { user = "UALICE", userName = "alice", text = "note checking the DB" });

        Assert.Equal(HttpStatusCode.Forbidden, resolve.StatusCode);
        Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        var details = await bot.GetJsonAsync("/api/incidents/INC-1", Reader);
        Assert.Equal("triggered", details.GetProperty("incident").GetProperty("status").GetString());
        var entry = details.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "note");
        Assert.Equal(("UEVE", "eve"), (entry.GetProperty("authorId").GetString(), entry.GetProperty("author").GetString()));
    }

    [Fact]
    public async Task ActAsToken_WritesAsTheNamedPerson_AndTheTimelineSaysThroughWhichToken()
    {
        await using var bot = await BotServer.StartAsync(Tokens());
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        var resolve = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", Bridge, new { user = "UALICE", userName = "alice", text = "resolve Rolled back" });
        var own = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", Bridge, new { text = "note from the pipeline" });

        Assert.Equal(HttpStatusCode.OK, resolve.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var timeline = (await bot.GetJsonAsync("/api/incidents/INC-1", Reader)).GetProperty("timeline").EnumerateArray().ToList();
        Assert.Contains(timeline, e => e.GetProperty("authorId").GetString() == "UALICE" && e.GetProperty("text").GetString() == "alice (via ci_bridge) resolved the incident. Rolled back");
        Assert.Contains(timeline, e => e.GetProperty("authorId").GetString() == "UCI" && e.GetProperty("text").GetString() == "from the pipeline");
    }

    [Fact]
    public async Task WithoutTokens_ClientsOnOtherMachines_AreRefused_AndToldWhy()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        // A reverse proxy on this machine reports the real client: it is elsewhere.
        var read = await SendAsync(bot, HttpMethod.Get, "/api/incidents", null, forwardedFor: "203.0.113.7");
        var command = await SendAsync(bot, HttpMethod.Post, "/api/incidents/INC-1/commands", null, new { user = "UALICE", text = "resolve" }, forwardedFor: "203.0.113.7");
        var local = await SendAsync(bot, HttpMethod.Get, "/api/incidents", null);

        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Contains("until Api:Tokens is set", await DetailAsync(read));
        Assert.Equal(HttpStatusCode.Forbidden, command.StatusCode);
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);
        Assert.Equal("triggered", (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AllowAnonymous_OpensTheApiToOtherMachines_OnPurpose()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Security:AllowAnonymous"] = "true" });

        var read = await SendAsync(bot, HttpMethod.Get, "/api/incidents", null, forwardedFor: "203.0.113.7");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task AWebhook_RunsNoApiAuthentication_SoItsSendersTokenIsNeitherCheckedAgainstApiTokensNorLogged()
    {
        var logs = new LogCapture();
        const string webhookToken = "webhook-token-0123456789abcdefghijklmnopqrstuvw";
        var settings = Tokens();
        settings["Webhooks:Sources:generic:Token"] = webhookToken;
        settings["Logging:LogLevel:Bot.Security"] = "Information"; // as the bot's own settings log it
        await using var bot = await BotServer.StartAsync(settings, logs.AddTo);

        var webhook = await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""", webhookToken);
        var api = await SendAsync(bot, HttpMethod.Get, "/api/incidents", webhookToken);

        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode); // a sender's token opens no API
        // The API's handler ran once, for the API request; before, it refused every webhook's bearer token too, and logged each.
        Assert.Single(logs.Entries, e => e.Category == typeof(ApiTokenHandler).FullName && e.Message.Contains("not authenticated"));
    }

    [Fact]
    public async Task Secrets_AreNeverLogged()
    {
        var logs = new LogCapture();
        await using var bot = await BotServer.StartAsync(Tokens(), logs.AddTo);

        await SendAsync(bot, HttpMethod.Get, "/api/incidents", Reader);
        await SendAsync(bot, HttpMethod.Get, "/api/incidents", Reader + "x");
        await SendAsync(bot, HttpMethod.Post, "/api/commands", Eve, new { text = "declare Logged?" });

        Assert.NotEmpty(logs.Entries);
        Assert.DoesNotContain("secret-0123456789", logs.All);
    }
}
