using System.Net;
using System.Security.Claims;
using Bot.Core.Escalation;
using Bot.WebConsole;
using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// Sign-in to the console with OpenID Connect, in a real browser, against a real provider (OpenIddict) on loopback:
/// the person signs in at the provider, comes back as their chat user, and acts as them; a viewer reads without acting;
/// a stranger the provider knows is refused by the bot.
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleSignInTests(ConsoleBrowser chromium)
{
    private const string SlackUserIdClaim = "https://slack.com/user_id";

    private static async Task<(OidcProvider Provider, BotServer Bot)> StartAsync(Dictionary<string, string?>? more = null, bool endSession = true)
    {
        var provider = await OidcProvider.StartAsync(endSession);
        provider.People["alice"] = new Dictionary<string, string> { ["email"] = "Alice@Example.com", ["email_verified"] = "true", ["name"] = "Alice Doe" };
        provider.People["bob"] = new Dictionary<string, string> { [SlackUserIdClaim] = "U02BOB", ["name"] = "Bob from Slack" };
        provider.People["carol"] = new Dictionary<string, string> { ["email"] = "carol@example.com", ["email_verified"] = "true", ["name"] = "Carol Viewer" };
        provider.People["mallory"] = new Dictionary<string, string> { ["email"] = "mallory@elsewhere.example", ["email_verified"] = "true", ["name"] = "Mallory" };
        provider.People["eve"] = new Dictionary<string, string> { ["email"] = "alice@example.com", ["email_verified"] = "false", ["name"] = "Eve" };
        var settings = new Dictionary<string, string?>
        {
            ["Console:Oidc:Authority"] = provider.Authority.ToString(),
            ["Console:Oidc:ClientId"] = OidcProvider.ClientId,
            ["Console:Oidc:ClientSecret"] = OidcProvider.ClientSecret,
            ["Console:Oidc:UserIdClaim"] = SlackUserIdClaim,
            ["People:U01ALICE:Name"] = "alice",
            ["People:U01ALICE:Email"] = "alice@example.com",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        var bot = await BotServer.StartAsync(settings);
        provider.RedirectUri = new Uri(bot.Address, "/console/signin-oidc").ToString();
        provider.PostLogoutRedirectUri = new Uri(bot.Address, "/console/signout-callback-oidc").ToString();
        return (provider, bot);
    }

    private static async Task<IPage> SignInAsync(IBrowser browser, BotServer bot, string person)
    {
        var page = await (await browser.NewContextAsync()).NewPageAsync(); // a context of its own, which can open more pages
        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        Assert.Equal("Sign in", await page.TitleAsync()); // the provider's page, not the console
        await page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {person}" }).ClickAsync();
        return page;
    }

    [Fact]
    public async Task APerson_SignsInAtTheProvider_AndActsAsTheirChatUser_ThenSignsOut()
    {
        var (provider, bot) = await StartAsync();
        await using var _ = provider;
        await using var __ = bot;
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical"}""")).StatusCode);
        var browser = chromium.Browser;

        var page = await SignInAsync(browser, bot, "alice");
        Assert.Equal("Incidents · incident bot", await page.TitleAsync());
        Assert.Contains("signed in as alice", await page.Locator("header").InnerTextAsync()); // the bot's name for U01ALICE, by e-mail
        await ConsoleBrowser.ShotAsync(page, "console-signed-in.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "INC-1" }).ClickAsync();
        await page.GetByLabel("Note").FillAsync("Rolled back the 02:00 deploy.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        Assert.Contains("alice (console)", await page.Locator("ol.timeline").InnerTextAsync());
        var timeline = await bot.GetJsonAsync("/api/incidents/INC-1/timeline");
        Assert.Contains(timeline.EnumerateArray(), e => e.GetProperty("authorId").GetString() == "U01ALICE" && e.GetProperty("text").GetString()!.Contains("Rolled back", StringComparison.Ordinal));

        // The provider remembers the browser: without our cookie, the sign-in comes back without the provider's page.
        await page.Context.ClearCookiesAsync(new() { Name = "incident-bot-console" });
        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        Assert.Equal("Incidents · incident bot", await page.TitleAsync());

        // Signing out ends the provider's session too (its end-session endpoint, with our ID token as the hint), so the
        // next sign-in asks again.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        Assert.Equal("Signed out · incident bot", await page.TitleAsync());
        Assert.Contains("and of your sign-in provider", await page.Locator("main").InnerTextAsync());
        Assert.Equal(["alice"], provider.EndedSessions);
        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        Assert.Equal("Sign in", await page.TitleAsync()); // the cookie and the provider's session are gone: the provider asks
        Assert.Empty(provider.Refused);
        Assert.Equal(2, provider.TokensIssued);
    }

    [Fact]
    public async Task SigningOut_WithAProviderThatCannotSignOut_SaysTheProviderStillKnowsYou()
    {
        var (provider, bot) = await StartAsync(endSession: false); // as Slack and Google: no end-session endpoint
        await using var _ = provider;
        await using var __ = bot;

        var page = await SignInAsync(chromium.Browser, bot, "alice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        Assert.Equal("Signed out · incident bot", await page.TitleAsync());
        Assert.Contains("you are still signed in there", await page.Locator("main").InnerTextAsync());
        var response = await page.Context.APIRequest.GetAsync(new Uri(bot.Address, "/console").ToString(), new() { MaxRedirects = 0 });
        Assert.Equal(302, response.Status); // our cookie is gone all the same
        Assert.Empty(provider.EndedSessions);
    }

    [Fact]
    public async Task ASignedInViewer_FollowsAnIncidentLive_AndTheStreamIsForTheSignedInOnly()
    {
        var (provider, bot) = await StartAsync(new() { ["Console:Oidc:ViewerDomains:0"] = "example.com", ["Console:LiveInterval"] = "00:00:00.200" });
        await using var _ = provider;
        await using var __ = bot;
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical"}""")).StatusCode);

        var page = await SignInAsync(chromium.Browser, bot, "carol");
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        using (var note = await bot.Client.PostAsync("/api/incidents/INC-1/commands", System.Net.Http.Json.JsonContent.Create(new { user = "U07DANA", userName = "dana", text = "ack" })))
        {
            Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        }

        await Assertions.Expect(page.Locator("[data-field=status]")).ToHaveTextAsync("acknowledged"); // through the signed-in stream, unreloaded

        var stranger = await (await chromium.Browser.NewContextAsync()).NewPageAsync();
        var stream = await stranger.APIRequest.GetAsync(new Uri(bot.Address, "/console/incidents/INC-1/live").ToString(), new() { MaxRedirects = 0 });
        Assert.Equal(302, stream.Status); // to the provider's sign-in, not the stream
        Assert.StartsWith(provider.Authority.ToString(), stream.Headers["location"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInWithSlack_TheUserIdClaimIsTheChatUser()
    {
        var (provider, bot) = await StartAsync();
        await using var _ = provider;
        await using var __ = bot;
        var browser = chromium.Browser;

        var page = await SignInAsync(browser, bot, "bob");
        Assert.Contains("signed in as Bob from Slack", await page.Locator("header").InnerTextAsync()); // no name in the settings: the provider's
        Assert.DoesNotContain("viewer", await page.Locator("header").InnerTextAsync());
    }

    [Fact]
    public async Task AViewer_ReadsButCannotAct_AndAStrangerOrAnUnverifiedEmail_IsRefused()
    {
        var (provider, bot) = await StartAsync(new() { ["Console:Oidc:ViewerDomains:0"] = "example.com" });
        await using var _ = provider;
        await using var __ = bot;
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical"}""")).StatusCode);
        var browser = chromium.Browser;

        var viewer = await SignInAsync(browser, bot, "carol");
        Assert.Contains("signed in as Carol Viewer (viewer)", await viewer.Locator("header").InnerTextAsync());
        await viewer.GetByRole(AriaRole.Link, new() { Name = "INC-1" }).ClickAsync();
        Assert.Equal(0, await viewer.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).CountAsync());
        // A post made anyway, with a good antiforgery token (the sign-out form's), is refused and changes nothing.
        var token = await viewer.Locator("form.signout input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        var form = viewer.Context.APIRequest.CreateFormData();
        form.Set("text", "ack");
        form.Set("__RequestVerificationToken", token!);
        var post = await viewer.Context.APIRequest.PostAsync(new Uri(bot.Address, "/console/incidents/INC-1/commands").ToString(), new() { Form = form, MaxRedirects = 0 });
        Assert.Equal(403, post.Status);
        Assert.Contains("Viewers cannot act", await post.TextAsync());
        Assert.Equal("triggered", (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString());

        foreach (var (person, why) in new[] { ("mallory", "mallory@elsewhere.example"), ("eve", "its e-mail alice@example.com is not verified") })
        {
            var page = await browser.NewPageAsync();
            await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
            var refusal = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = $"Sign in as {person}" }).ClickAsync(),
                r => r.Url.Contains("/console/signin-oidc", StringComparison.Ordinal));
            Assert.Equal(403, refusal.Status);
            Assert.Contains("is not a person of this bot", await refusal.TextAsync());
            Assert.Contains(why, await refusal.TextAsync());
            var cookies = await page.Context.CookiesAsync();
            Assert.DoesNotContain(cookies, c => c.Name == "incident-bot-console");
        }
    }

    [Fact]
    public void TheMapping_NeedsTheRequiredClaims_AndAVerifiedEmail()
    {
        var people = new EscalationOptions();
        people.People["U01ALICE"] = new PersonOptions { Name = "alice", Email = "alice@example.com" };
        var oidc = new ConsoleOidcOptions { UserIdClaim = SlackUserIdClaim, RequiredClaims = { ["https://slack.com/team_id"] = "T0001" } };
        static ClaimsPrincipal Person(params (string Type, string Value)[] claims) => new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "oidc"));

        var (slack, _) = ConsoleSignIn.Map(Person((SlackUserIdClaim, "U02BOB"), ("https://slack.com/team_id", "T0001")), oidc, people);
        Assert.Equal("U02BOB", slack!.FindFirst(ConsoleSignIn.UserClaim)!.Value);

        var (other, refusal) = ConsoleSignIn.Map(Person((SlackUserIdClaim, "U02BOB"), ("https://slack.com/team_id", "T9999")), oidc, people);
        Assert.Null(other);
        Assert.Contains("'https://slack.com/team_id' claim is 'T9999', not 'T0001'", refusal);

        oidc.RequiredClaims.Clear();
        var (byEmail, _) = ConsoleSignIn.Map(Person(("email", "ALICE@example.com"), ("email_verified", "true")), oidc, people);
        Assert.Equal("U01ALICE", byEmail!.FindFirst(ConsoleSignIn.UserClaim)!.Value);
        Assert.Equal("alice", byEmail.FindFirst(ConsoleSignIn.NameClaim)!.Value);

        var (unverified, why) = ConsoleSignIn.Map(Person(("email", "alice@example.com"), ("email_verified", "false")), oidc, people);
        Assert.Null(unverified);
        Assert.Contains("is not a person of this bot", why);
    }

    [Theory]
    [InlineData("http://login.example.com", "must be an https:// URL")]
    [InlineData("https://slack.com", "RequiredClaims:https://slack.com/team_id is required")]
    public async Task BadSignInSettings_StopTheStart_NamingTheKey(string authority, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Console:Oidc:Authority"] = authority,
            ["Console:Oidc:ClientId"] = "bot",
            ["Console:Oidc:ClientSecret"] = "s",
        }));
        Assert.Contains(expected, error.Message);
    }
}
