using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>Debian's chromium (installed by .ci/run), headless, driven by Playwright: its own browser download cannot work here.</summary>
internal static class ConsoleBrowser
{
    private const string Chromium = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (apt-get install chromium; .ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
        return (playwright, browser);
    }
}
