using System.Net;
using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// The web console in a real browser: Debian's chromium (installed by .ci/run) driven by Playwright, against the bot on
/// Kestrel. Screenshots go to the test's output folder (console-*.png).
/// </summary>
public sealed class ConsoleBrowserTests
{
    [Fact]
    public async Task AnIncidentIsFollowedAndActedOn_FromTheBrowser_AndItsAlertTextIsNeverScript()
    {
        await using var bot = await BotServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"<script>alert('x')</script> Checkout down","severity":"critical"}""")).StatusCode);
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        var row = page.Locator("tbody tr").First;
        Assert.Contains("<script>alert('x')</script> Checkout down", await row.InnerTextAsync()); // shown as text
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "console-list.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "INC-1" }).ClickAsync();
        await page.GetByLabel("Note").FillAsync("Load balancers saturated; traffic from one ASN.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        Assert.Contains("Load balancers saturated; traffic from one ASN.", await page.Locator("ol.timeline").InnerTextAsync());
        Assert.Contains("local operator (console)", await page.Locator("ol.timeline").InnerTextAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        Assert.Contains("acknowledged", await page.Locator("dl.summary").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "console-incident.png"), FullPage = true });

        Assert.Equal(0, dialogs); // no script of the alert's ran
        var incident = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("acknowledged", incident.GetProperty("incident").GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheOnCallAndRoutesPages_ShowTheRotationAndTestALabelSet()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Teams:network:Members:0:Id"] = "U02BOB",
            ["Teams:network:Members:0:Name"] = "bob",
            ["Teams:network:Members:1:Id"] = "U05ERIN",
            ["Teams:network:Members:1:Name"] = "erin",
            ["Teams:network:Rotation:Members:0"] = "U02BOB",
            ["Teams:network:Rotation:Members:1"] = "U05ERIN",
            ["Teams:network:Rotation:ShiftLength"] = "1d",
            ["Teams:network:Rotation:Start"] = "2026-01-01",
            ["EscalationPolicies:network:Steps:0:Targets:0"] = "oncall:network",
            ["EscalationPolicies:network:Steps:0:Wait"] = "15m",
            ["Routes:Routes:0:Match:0"] = "team=network",
            ["Routes:Routes:0:Policies:0"] = "network",
        });
        var (playwright, browser) = await ConsoleBrowser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        await page.GetByRole(AriaRole.Link, new() { Name = "On call" }).ClickAsync();
        var network = await page.Locator("section").First.InnerTextAsync();
        Assert.Matches("Now: (bob|erin) until .*; next: (bob|erin)", network);
        Assert.True(await page.Locator("section tbody tr").CountAsync() >= 7); // daily shifts over the next 7 days
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "console-oncall.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "Routes" }).ClickAsync();
        await page.GetByLabel("Alert labels").FillAsync("alertname=HighErrorRate\nteam=network");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test" }).ClickAsync();
        Assert.Equal("Pages network.", await page.Locator(".message").InnerTextAsync());
        await page.GetByLabel("Alert labels").FillAsync("team=<b>payments</b>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Test" }).ClickAsync();
        Assert.StartsWith("No route names a policy", await page.Locator(".message").InnerTextAsync());
        Assert.Contains("team=network → pages network", await page.Locator("ul.routes").First.InnerTextAsync());
    }

    [Fact]
    public async Task AFormPostedWithoutItsAntiforgeryToken_ChangesNothing()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");

        var forged = await bot.Client.PostAsync("/console/incidents/INC-1/commands", new FormUrlEncodedContent([new("text", "ack")]));
        var page = await bot.Client.GetAsync("/console/incidents/INC-1");

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("triggered", (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString());
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
    }
}
