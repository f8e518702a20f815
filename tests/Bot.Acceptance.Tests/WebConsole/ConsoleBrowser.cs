using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// Debian's chromium (installed by .ci/run), headless, driven by Playwright (its own browser download cannot work here):
/// started once for the console's tests; each page a test opens has a context of its own (its own cookies).
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), "Debian's chromium is not installed (apt-get install chromium; .ci/run does).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu"] });
    }

    /// <summary>Saves the whole page as <paramref name="file"/> in the test's output folder (the README's screenshots).</summary>
    public static Task ShotAsync(IPage page, string file) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, file), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleBrowserCollection : ICollectionFixture<ConsoleBrowser>
{
    public const string Name = "chromium";
}
