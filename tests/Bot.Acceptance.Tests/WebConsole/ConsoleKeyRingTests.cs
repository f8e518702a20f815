using System.Net;
using System.Text.RegularExpressions;
using Bot.Core.Ports;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// The console's keys (sign-in cookies, form tokens) live in the store: a form one replica rendered is accepted by the
/// other, as behind a load balancer without sticky sessions.
/// </summary>
public sealed partial class ConsoleKeyRingTests
{
    [Fact]
    public async Task AFormFromOneReplica_IsAcceptedByTheOther_ForTheyShareTheStoresKeyRing()
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        var settings = new Dictionary<string, string?> { ["Storage:Provider"] = "Postgres", ["Storage:ConnectionString"] = connectionString };
        await using var a = await BotServer.StartAsync(settings);
        await using var b = await BotServer.StartAsync(settings);
        Assert.Empty(await a.Services.GetRequiredService<IHostKeyReads>().ListHostKeysAsync()); // not read at start: /readyz does not wait for it
        await a.PostWebhookAsync("generic", """{"title":"Checkout down"}""");
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });

        var form = await browser.GetStringAsync(new Uri(a.Address, "/console/incidents/INC-1"));
        var token = Token().Match(form).Groups[1].Value;
        var posted = await browser.PostAsync(new Uri(b.Address, "/console/incidents/INC-1/commands"), new FormUrlEncodedContent([new("text", "ack"), new("__RequestVerificationToken", WebUtility.HtmlDecode(token))]));

        Assert.NotEmpty(token);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal("acknowledged", (await b.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString());
        var keys = await b.Services.GetRequiredService<IHostKeyReads>().ListHostKeysAsync();
        Assert.Contains("<key id=", Assert.Single(keys));
        PostgresServer.Shared.DropSchema(connectionString);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
