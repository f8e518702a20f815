using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Bot.Acceptance.Tests.Api;

public class IncidentEndpointsTests
{
    [Fact]
    public async Task Health_And_Ready_AreUp()
    {
        await using var bot = await BotServer.StartAsync();

        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task List_FiltersByStatus_AndRejectsBadInput()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", "{\"title\":\"A\"}");
        await bot.PostWebhookAsync("generic", "{\"title\":\"B\"}");

        var open = await bot.GetJsonAsync("/api/incidents?status=open");
        var resolved = await bot.GetJsonAsync("/api/incidents?status=resolved");
        var badStatus = await bot.Client.GetAsync("/api/incidents?status=sleeping");
        var badLimit = await bot.Client.GetAsync("/api/incidents?limit=0");

        Assert.Equal(["INC-2", "INC-1"], open.EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(0, resolved.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/incidents?limit=abc", null, "limit must be a whole number from 1 to 500; it was 'abc'.")]
    [InlineData("GET", "/api/incidents/INC-1?alerts=many", null, "alerts must be a whole number from 0 to 100; it was 'many'.")]
    [InlineData("GET", "/api/incidents/INC-1?timeline=501", null, "timeline must be a whole number from 0 to 500; it was '501'.")]
    [InlineData("GET", "/api/incidents?cursor=bm9wZQ", null, "'bm9wZQ' is not a cursor of this list: take it from the Link header of the previous page.")]
    [InlineData("GET", "/api/incidents/INC-1/alerts?cursor=aTo1", null, "'aTo1' is not a cursor of this list")] // an incident list's cursor
    [InlineData("GET", "/api/incidents/INC-1/alerts?order=sideways", null, "order must be first or latest; it was 'sideways'.")]
    [InlineData("GET", "/api/incidents/INC-1/alerts?limit=0", null, "limit must be a whole number from 1 to 500; it was '0'.")]
    [InlineData("GET", "/api/incidents/INC-1/timeline?kind=note,gossip", null, "kind 'gossip' is not one of incident_opened, alert_firing,")]
    [InlineData("GET", "/api/incidents/INC-1/timeline?cursor=%25%25", null, "'%%' is not a cursor of this list")]
    [InlineData("POST", "/api/commands", "{\"text\": ", "Failed to read parameter \"CommandRequest request\" from the request body as JSON.")]
    [InlineData("POST", "/api/commands", "{\"text\": 5}", "The JSON value could not be converted to Bot.Api.CommandRequest. Path: $.text")]
    [InlineData("POST", "/api/incidents/INC-1/commands", "", "Required parameter \"CommandRequest request\" was not provided from body.")]
    public async Task BadRequests_Get400Problems_SayingWhatIsWrong_AndChangeNothing(string method, string path, string? body, string expected)
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", "{\"title\":\"A\"}");
        var before = Said(await bot.GetJsonAsync("/api/incidents/INC-1"));
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        var response = await bot.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Equal(before, Said(await bot.GetJsonAsync("/api/incidents/INC-1")));
    }

    /// <summary>What a command could have changed: status, severity, and the entries people's commands write.</summary>
    private static string Said(JsonElement incident) =>
        $"{incident.GetProperty("incident").GetProperty("status")} {incident.GetProperty("incident").GetProperty("severity")} " +
        string.Join(" | ", incident.GetProperty("timeline").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() is "note" or "update" or "status_changed" or "severity_changed" or "role_assigned" or "edited" or "task")
            .Select(e => e.GetProperty("text").GetString()));

    [Theory]
    [InlineData("INC-99")]
    [InlineData("nonsense")]
    public async Task Get_Unknown_Is404Problem(string id)
    {
        await using var bot = await BotServer.StartAsync();

        var response = await bot.Client.GetAsync($"/api/incidents/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Get_ByNumberOrKey_ShowsAlertsAndTimeline()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", Fixture.Text("generic/firing.json"));

        var byKey = await bot.GetJsonAsync("/api/incidents/INC-1");
        var byNumber = await bot.GetJsonAsync("/api/incidents/1");

        Assert.Equal(byKey.GetProperty("incident").GetProperty("title").GetString(), byNumber.GetProperty("incident").GetProperty("title").GetString());
        Assert.Equal("checkout-latency", byKey.GetProperty("alerts")[0].GetProperty("fingerprint").GetString());
        Assert.Equal(JsonValueKind.Array, byKey.GetProperty("timeline").ValueKind);
    }

    [Fact]
    public async Task AStormsIncident_ShowsItsFirstAndLatestAlerts_AndPagesThroughTheRest()
    {
        await using var bot = await BotServer.StartAsync();
        for (var webhook = 0; webhook < 5; webhook++)
        {
            (await bot.PostWebhookAsync("alertmanager", Storm(webhook, alerts: 5))).EnsureSuccessStatusCode();
        }

        await bot.WaitForQuietOutboxAsync();
        var page = await bot.GetJsonAsync("/api/incidents/INC-1?alerts=3&timeline=2");
        var forwards = await FollowAsync(bot, page.GetProperty("links").GetProperty("alerts").GetString()!);
        var backwards = await FollowAsync(bot, "/api/incidents/INC-1/alerts?order=latest&limit=4");
        var timeline = await FollowAsync(bot, page.GetProperty("links").GetProperty("timeline").GetString()!);

        Assert.Equal(25, page.GetProperty("incident").GetProperty("alertCount").GetInt32());
        string[] all = [.. Enumerable.Range(0, 25).Select(i => $"edge-{i / 5}-{i % 5}")];
        Assert.Equal(all[..3], Instances(page.GetProperty("alerts").EnumerateArray()));
        Assert.Equal(all[^3..].Reverse(), Instances(page.GetProperty("latestAlerts").EnumerateArray()));
        Assert.Equal(all[3..], Instances(forwards));
        Assert.Equal(all.Reverse(), Instances(backwards));
        Assert.Equal(2, page.GetProperty("timeline").GetArrayLength());
        var whole = (await bot.GetJsonAsync("/api/incidents/INC-1/timeline?limit=500")).EnumerateArray().Select(e => e.GetProperty("text").GetString()).ToList();
        Assert.Equal(whole[2..], timeline.Select(e => e.GetProperty("text").GetString()));
        Assert.True(whole.Count >= 6, string.Join("\n", whole)); // an entry per webhook, and the opening
    }

    [Fact]
    public async Task Incidents_PageThroughTheLinkHeader()
    {
        await using var bot = await BotServer.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await bot.PostWebhookAsync("generic", $"{{\"title\":\"I{i}\"}}");
        }

        var all = await FollowAsync(bot, "/api/incidents?limit=2");
        var last = await bot.Client.GetAsync("/api/incidents?limit=5");

        Assert.Equal(["INC-5", "INC-4", "INC-3", "INC-2", "INC-1"], all.Select(i => i.GetProperty("id").GetString()));
        Assert.False(last.Headers.Contains("Link"));
    }

    [Fact]
    public async Task Incidents_FilterAsTheConsolesListDoes_AndTheNextPageKeepsTheFilters()
    {
        await using var bot = await BotServer.StartAsync();
        for (var i = 0; i < 6; i++)
        {
            await bot.PostWebhookAsync("generic", $$"""{"title":"{{(i % 2 == 0 ? "Checkout" : "Search")}} {{i}}","severity":"{{(i < 4 ? "critical" : "warning")}}"}""");
        }

        var checkout = await FollowAsync(bot, "/api/incidents?q=checkout&limit=1");
        var critical = await FollowAsync(bot, "/api/incidents?severity=sev1&q=search&limit=1");
        var bad = await bot.Client.GetAsync("/api/incidents?severity=SEV7&to=2026-13-01");

        Assert.Equal(["INC-5", "INC-3", "INC-1"], checkout.Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(["INC-4", "INC-2"], critical.Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("severity 'SEV7' is not SEV1 to SEV4. to '2026-13-01' is not a day written yyyy-mm-dd.", await bad.Content.ReadAsStringAsync());
    }

    /// <summary>Reads a list and every next page its <c>Link</c> headers name.</summary>
    private static async Task<List<JsonElement>> FollowAsync(BotServer bot, string path)
    {
        var items = new List<JsonElement>();
        for (string? next = path; next is not null;)
        {
            using var response = await bot.Client.GetAsync(next);
            response.EnsureSuccessStatusCode();
            items.AddRange((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
            next = response.Headers.TryGetValues("Link", out var links)
                ? System.Text.RegularExpressions.Regex.Match(links.Single(), "^<([^>]+)>; rel=\"next\"$").Groups[1].Value
                : null;
        }

        return items;
    }

    private static IEnumerable<string?> Instances(IEnumerable<JsonElement> alerts) =>
        alerts.Select(a => a.GetProperty("labels").GetProperty("instance").GetString());

    /// <summary>An Alertmanager webhook of one group bringing new alerts <c>edge-{webhook}-{i}</c>.</summary>
    internal static string Storm(int webhook, int alerts) => $$"""
        {"receiver":"bot","status":"firing","version":"4","groupKey":"{}:{alertname=\"HighRequestRate\"}","externalURL":"http://am","truncatedAlerts":0,
         "groupLabels":{},"commonLabels":{},"commonAnnotations":{},"alerts":[{{string.Join(",", Enumerable.Range(0, alerts).Select(i =>
            $$$"""{"status":"firing","labels":{"alertname":"HighRequestRate","instance":"edge-{{{webhook}}}-{{{i}}}"},"annotations":{},"startsAt":"2026-11-24T00:45:43Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"w{{{webhook}}}f{{{i}}}"}"""))}}]}
        """;
}
