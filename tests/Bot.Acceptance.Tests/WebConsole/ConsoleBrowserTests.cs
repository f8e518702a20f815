using System.Net;
using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// The web console in a real browser: Debian's chromium (installed by .ci/run) driven by Playwright, against the bot on
/// Kestrel. Screenshots go to the test's output folder (console-*.png).
/// </summary>
public sealed class ConsoleBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (apt-get install chromium; .ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
        return (playwright, browser);
    }

    [Fact]
    public async Task AnIncidentIsFollowedAndActedOn_FromTheBrowser_AndItsAlertTextIsNeverScript()
    {
        await using var bot = await BotServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"<script>alert('x')</script> Checkout down","severity":"critical"}""")).StatusCode);
        var (playwright, browser) = await LaunchAsync();
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
