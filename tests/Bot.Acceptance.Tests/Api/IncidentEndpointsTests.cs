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
    [InlineData("GET", "/api/incidents/INC-1?alerts=many", null, "alerts must be a whole number from 0 to 10000; it was 'many'.")]
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
}
