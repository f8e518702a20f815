using System.Net;

namespace Bot.Acceptance.Tests.Security;

/// <summary>
/// DNS rebinding: a page on another site that resolves its own name to 127.0.0.1 reaches the bot with its own name in
/// the Host header. Only the names in AllowedHosts (loopback names by default) are answered.
/// </summary>
public class SecurityServicesTests
{
    private static async Task<HttpStatusCode> PostWithHostAsync(BotServer bot, string host)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/commands") { Content = System.Net.Http.Json.JsonContent.Create(new { user = "U1", text = "declare Rebound" }) };
        request.Headers.Host = host;
        return (await bot.Client.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task ByDefault_OnlyLoopbackNames_AreAnswered()
    {
        await using var bot = await BotServer.StartAsync();

        Assert.Equal(HttpStatusCode.BadRequest, await PostWithHostAsync(bot, "attacker.example"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostWithHostAsync(bot, $"attacker.example:{bot.Address.Port}"));
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
        Assert.Equal(HttpStatusCode.OK, await PostWithHostAsync(bot, $"localhost:{bot.Address.Port}"));
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task AllowedHosts_ChoosesTheNames()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["AllowedHosts"] = "bot.example.com;127.0.0.1" });

        Assert.Equal(HttpStatusCode.OK, await PostWithHostAsync(bot, "bot.example.com"));
        Assert.Equal(HttpStatusCode.BadRequest, await PostWithHostAsync(bot, "localhost"));
    }
}
