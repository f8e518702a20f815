using System.Net;
using System.Text.Json;

namespace Bot.Acceptance.Tests;

public class ApiTests
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
