using System.Net;
using Microsoft.Playwright;

namespace Bot.Acceptance.Tests.WebConsole;

/// <summary>
/// The web console in a real browser: Debian's chromium (installed by .ci/run) driven by Playwright, against the bot on
/// Kestrel. Screenshots go to the test's output folder (console-*.png).
/// </summary>
[Collection(ConsoleBrowserCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleBrowser chromium)
{
    [Fact]
    public async Task AnIncidentIsFollowedAndActedOn_FromTheBrowser_AndItsAlertTextIsNeverScript()
    {
        await using var bot = await BotServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"<script>alert('x')</script> Checkout down","severity":"critical"}""")).StatusCode);
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        var row = page.Locator("tbody tr").First;
        Assert.Contains("<script>alert('x')</script> Checkout down", await row.InnerTextAsync()); // shown as text
        await ConsoleBrowser.ShotAsync(page, "console-list.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "INC-1" }).ClickAsync();
        await page.GetByLabel("Note").FillAsync("Load balancers saturated; traffic from one ASN.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        Assert.Contains("Load balancers saturated; traffic from one ASN.", await page.Locator("ol.timeline").InnerTextAsync());
        Assert.Contains("local operator (console)", await page.Locator("ol.timeline").InnerTextAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        Assert.Contains("acknowledged", await page.Locator("dl.summary").InnerTextAsync());
        await ConsoleBrowser.ShotAsync(page, "console-incident.png");

        Assert.Equal(0, dialogs); // no script of the alert's ran
        var incident = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("acknowledged", incident.GetProperty("incident").GetProperty("status").GetString());
    }

    /// <summary>
    /// A phone provider that hangs, seen by people outside the channel: Twilio's stand-in holds the SMS past its try (1 s),
    /// so the page waits between tries (30 s on) while the e-mail goes out. Every console page then says at its top that
    /// pages by SMS are held and responders may not have been reached; nothing was said before, nor of the e-mail. The
    /// incident's page lists the SMS among its pages not out yet, with its last error and next try.
    /// </summary>
    [Fact]
    public async Task AnSmsProviderThatHangs_IsSaidAtTheTopOfEveryPage_NotTheEmailThatWentOut()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var smtp = await SmtpServer.StartAsync();
        var settings = EndToEnd.PagingEndToEndTests.SmsHeldByTwilio(twilio, smtp);
        settings["Outbox:JobTimeout"] = "00:00:01";
        settings["Outbox:RetryBaseDelay"] = "00:00:30";
        settings["OpenTelemetry:StatsInterval"] = "00:00:00.250";
        settings["Console:HeldPagesAfter"] = "00:00:03";
        await using var bot = await BotServer.StartAsync(settings);
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        Assert.Equal(0, await page.GetByRole(AriaRole.Alert).CountAsync());

        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""")).StatusCode);
        await BotServer.EventuallyAsync(() => Task.FromResult(twilio.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the SMS, held by Twilio");
        await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the e-mail, while the SMS is held");
        var said = await BotServer.EventuallyAsync(
            async () =>
            {
                await page.ReloadAsync();
                return await page.GetByRole(AriaRole.Alert).AllInnerTextsAsync();
            },
            a => a.Count > 0,
            TimeSpan.FromSeconds(20),
            "the console's notice of the held SMS");

        var notice = Assert.Single(said);
        Assert.Matches("^Pages by SMS and phone call have waited [0-9]+ s to go out: the phone provider answers slowly, not at all or with errors. Responders may not have been reached", notice);
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        Assert.StartsWith("Pages by SMS and phone call have waited", Assert.Single(await page.GetByRole(AriaRole.Alert).AllInnerTextsAsync()));
        Assert.Equal("phone", await page.GetByRole(AriaRole.Alert).GetAttributeAsync("data-lane"));
        var underWay = page.Locator("ul.underway li"); // the incident's own: the held SMS, between tries; the e-mail is out
        Assert.Equal("failing", await underWay.GetAttributeAsync("data-stage"));
        Assert.Matches("^SMS to dave: not out after 1 try since [0-9:]{8} UTC; last error: .+; next try [0-9:]{8} UTC$", await underWay.InnerTextAsync());
        await ConsoleBrowser.ShotAsync(page, "console-pages-held.png");
        Assert.Single(twilio.Messages); // not tried again yet: it waits between tries
        twilio.AnswerNow(); // the held request ends with the test
    }

    /// <summary>"Send me a test page" on the on-call page: <c>/incident notify test</c> as the person signed in (here the local operator, paged by chat).</summary>
    [Fact]
    public async Task ATestPage_IsSentFromTheOnCallPage_AsThePersonSignedIn()
    {
        await using var bot = await BotServer.StartAsync();
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console/oncall").ToString());

        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a test page" }).ClickAsync();

        Assert.StartsWith("Sending you a test page by chat: each should reach you within a minute", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        var dm = Path.Combine(bot.Folder, "chat", "dm-local.jsonl");
        await BotServer.EventuallyAsync(
            () => Task.FromResult(File.Exists(dm) ? File.ReadAllText(dm) : ""), t => t.Contains("Test page from the incident bot", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the test page's DM");
    }

    /// <summary>
    /// "Take the shift" on the on-call page: a member of a team puts themselves or a teammate on call from now (as
    /// <c>/incident oncall override</c>), seen at once as who is on call now, an override in the week's shifts; the form
    /// shows on their team only, and a post naming someone outside the team or a length not offered is refused, nothing
    /// done.
    /// </summary>
    [Fact]
    public async Task AMember_TakesAShiftFromTheOnCallPage_ForThemselvesOrATeammate_AndNothingElseIsTaken()
    {
        await using var bot = await BotServer.StartAsync(TwoTeams());
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console/oncall").ToString());
        var database = page.Locator("section[aria-labelledby=team-database]");
        Assert.StartsWith("Now: erin", await database.Locator("p").First.InnerTextAsync());
        Assert.Equal(1, await page.GetByRole(AriaRole.Button, new() { Name = "Take the shift" }).CountAsync()); // not on the network team's: not theirs

        await database.GetByLabel("From now for").SelectOptionAsync("8h");
        await database.GetByRole(AriaRole.Button, new() { Name = "Take the shift" }).ClickAsync();

        Assert.Matches("^@Lou is on call for database from now until [0-9-]{10} [0-9:]{5} UTC \\(override by local operator \\(console\\)\\)\\.$", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.StartsWith("Now: Lou until", await database.Locator("p").First.InnerTextAsync());
        Assert.Contains("Lou (override)", await database.Locator("table").InnerTextAsync());

        // A teammate from the form; then posts the form never makes (another team's member, a length not offered): refused.
        await database.GetByLabel("Who takes the shift").SelectOptionAsync("UERIN");
        await database.GetByRole(AriaRole.Button, new() { Name = "Take the shift" }).ClickAsync();
        Assert.StartsWith("@erin is on call for database from now until", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.StartsWith("Now: erin until", await database.Locator("p").First.InnerTextAsync());
        var onCall = database.Locator("table tbody td:nth-child(3)"); // who, shift by shift (their first's start is now's)
        var shifts = await onCall.AllInnerTextsAsync();
        Assert.Equal("erin (override)", shifts[0]);
        var token = await database.Locator("input[name=__RequestVerificationToken]").GetAttributeAsync("value");
        foreach (var (taker, length, said) in new[] { ("UNINA", "4h", "'UNINA' is not a member of database"), ("local", "90d", "'90d' is not one of 1h, 2h") })
        {
            var form = page.Context.APIRequest.CreateFormData();
            form.Set("team", "database");
            form.Set("who", taker);
            form.Set("for", length);
            form.Set("__RequestVerificationToken", token!);
            var post = await page.Context.APIRequest.PostAsync(new Uri(bot.Address, "/console/oncall/override").ToString(), new() { Form = form, MaxRedirects = 0 });
            Assert.Equal(400, post.Status);
            Assert.Contains(said, await post.TextAsync());
        }

        await page.ReloadAsync();
        Assert.Equal(shifts, await onCall.AllInnerTextsAsync()); // nobody else put on call
    }

    /// <summary>
    /// "Change how I am paged" on the on-call page: the person signed in sees their rules and sets every incident's and
    /// SEV1-2's, as <c>/incident notify</c>; a channel the bot has no address for is refused, said at the top, nothing saved.
    /// </summary>
    [Fact]
    public async Task ThePersonSignedIn_ChangesHowTheyArePaged_FromTheOnCallPage()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["People:local:Phone"] = "+15005550006" });
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console/oncall").ToString());
        var rules = page.Locator("[data-field=rules]");
        Assert.Equal("You are paged by: chat; for SEV1 and SEV2: chat.", await rules.InnerTextAsync());

        await page.GetByLabel("Every incident").FillAsync("chat, email 5m");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change how I am paged" }).ClickAsync();
        Assert.StartsWith("The bot has no email for you", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.Equal("You are paged by: chat; for SEV1 and SEV2: chat.", await rules.InnerTextAsync());

        await page.GetByLabel("Every incident").FillAsync("chat, sms 2m");
        await page.GetByLabel("SEV1 and SEV2").FillAsync("chat, sms");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change how I am paged" }).ClickAsync();
        Assert.StartsWith("Saved.", await page.GetByRole(AriaRole.Status).InnerTextAsync());
        Assert.Equal("You are paged by: chat, sms 2m; for SEV1 and SEV2: chat, sms.", await rules.InnerTextAsync());
    }

    private static Dictionary<string, string?> TwoTeams() => new()
    {
        ["Teams:database:Members:0:Id"] = "local",
        ["Teams:database:Members:0:Name"] = "Lou",
        ["Teams:database:Members:1:Id"] = "UERIN",
        ["Teams:database:Members:1:Name"] = "erin",
        ["Teams:database:Rotation:Members:0"] = "UERIN",
        ["Teams:database:Rotation:ShiftLength"] = "1w",
        ["Teams:database:Rotation:Start"] = "2026-01-05",
        ["Teams:network:Members:0:Id"] = "UNINA",
        ["Teams:network:Members:0:Name"] = "nina",
    };

    /// <summary>
    /// People named in an incident's timeline (a note mentioning someone in Slack) are shown by the names the settings give
    /// them, not by their chat ids (<c>U0123ABCD</c>), which people outside the chat cannot read; on the page and in what
    /// the live page adds.
    /// </summary>
    [Fact]
    public async Task PeopleNamedInTheTimeline_AreShownByTheirNames_NotTheirChatIds()
    {
        await using var bot = await BotServer.StartAsync(TwoTeams());
        await bot.PostWebhookAsync("generic", """{"title":"Replica lag","severity":"warning"}""");
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());

        await bot.Client.PostAsync("/api/incidents/INC-1/commands", System.Net.Http.Json.JsonContent.Create(new { user = "local", userName = "Lou", text = "note asked <@UERIN> to look at the replica" }));
        await BotServer.EventuallyAsync(() => page.Locator("ol.timeline").InnerTextAsync(), t => t.Contains("to look at the replica", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "the live page's new entry");
        Assert.Contains("asked @erin to look at the replica", await page.Locator("ol.timeline").InnerTextAsync());
        await page.ReloadAsync();
        var timeline = await page.Locator("ol.timeline").InnerTextAsync();
        Assert.Contains("asked @erin to look at the replica", timeline);
        Assert.DoesNotContain("UERIN", timeline);
    }

    [Fact]
    public async Task ProgressAndSeverity_AreSetFromThePage_AndAResolvedIncidentIsReopened()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", """{"title":"Checkout slow","severity":"warning"}""");
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        Assert.Equal("not said", await page.Locator("[data-field=progress]").InnerTextAsync());

        await page.GetByLabel("Progress").SelectOptionAsync("identified");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set progress" }).ClickAsync();
        Assert.Equal("identified", await page.Locator("[data-field=progress]").InnerTextAsync());
        await page.GetByLabel("Severity").SelectOptionAsync("SEV2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change severity" }).ClickAsync();
        Assert.Equal("SEV2", await page.Locator("[data-field=severity]").InnerTextAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        Assert.Equal("resolved", await page.Locator("[data-field=status]").InnerTextAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).CountAsync()); // a resolved incident offers only reopening
        await page.GetByRole(AriaRole.Button, new() { Name = "Reopen" }).ClickAsync();
        Assert.Equal("triggered", await page.Locator("[data-field=status]").InnerTextAsync());

        var incident = (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident");
        Assert.Equal(("triggered", "SEV2"), (incident.GetProperty("status").GetString(), incident.GetProperty("severity").GetString()));
        var said = (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Select(e => e.GetProperty("text").GetString()).ToList();
        Assert.Contains(said, t => t!.Contains("identified", StringComparison.Ordinal) && t.Contains("local operator (console)", StringComparison.Ordinal));
        Assert.Contains(said, t => t!.Contains("reopened", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStormsIncident_ShowsItsFirstAndLatestAlerts_AndPagesThroughEveryAlert_AndTheWholeTimeline()
    {
        await using var bot = await BotServer.StartAsync();
        const int webhooks = 210; // an alert and a timeline entry each: more than the page shows of either
        for (var w = 0; w < webhooks; w++)
        {
            (await bot.PostWebhookAsync("alertmanager", Api.IncidentEndpointsTests.Storm(w, alerts: 1))).EnsureSuccessStatusCode();
        }

        await bot.WaitForQuietOutboxAsync();
        var stored = await bot.GetJsonAsync("/api/incidents/INC-1/alerts?limit=500");
        string[] byFirstSeen = [.. stored.EnumerateArray().Select(a => a.GetProperty("labels").GetProperty("instance").GetString()!)];
        Assert.Equal(webhooks, byFirstSeen.Distinct().Count());
        var page = await chromium.Browser.NewPageAsync();
        static string[] Instances(IEnumerable<string> items) => [.. items.Select(t => System.Text.RegularExpressions.Regex.Match(t, "instance=(edge-[0-9]+-0)").Groups[1].Value)];

        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        var alerts = page.Locator("section[aria-labelledby=alerts]");
        Assert.Equal($"{webhooks} firing of {webhooks}", await page.Locator("[data-field=alerts]").InnerTextAsync());
        Assert.Equal(byFirstSeen[..10], Instances(await alerts.Locator("ul").Nth(0).Locator("li").AllInnerTextsAsync()));
        Assert.Equal(byFirstSeen[^10..], Instances(await alerts.Locator("ul").Nth(1).Locator("li").AllInnerTextsAsync()));
        Assert.Contains($"{webhooks - 20} more between them", await alerts.InnerTextAsync());
        await ConsoleBrowser.ShotAsync(page, "console-storm.png");

        async Task<List<string>> EveryPage(string list)
        {
            var seen = new List<string>();
            for (var pages = 0; ; pages++)
            {
                Assert.True(pages < 10, "the Next links never end");
                seen.AddRange(await page.Locator(list).AllInnerTextsAsync());
                var next = page.GetByRole(AriaRole.Link, new() { NameRegex = new("^Next") });
                if (await next.CountAsync() == 0)
                {
                    return seen;
                }

                await next.ClickAsync();
            }
        }

        await alerts.GetByRole(AriaRole.Link, new() { Name = "all alerts, first seen first" }).ClickAsync();
        Assert.Equal(byFirstSeen, Instances(await EveryPage("ul.alerts li")));
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        await alerts.GetByRole(AriaRole.Link, new() { Name = "latest first" }).ClickAsync();
        Assert.Equal(byFirstSeen.Reverse(), Instances(await EveryPage("ul.alerts li")));

        var whole = (await bot.GetJsonAsync("/api/incidents/INC-1/timeline?limit=500")).EnumerateArray().Select(e => Core.Chat.ChatMarkup.Plain(e.GetProperty("text").GetString()!)).ToList();
        Assert.True(whole.Count > 200, $"{whole.Count} entries");
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        var timeline = page.Locator("section[aria-labelledby=timeline]");
        Assert.Equal(200, await timeline.Locator("ol li").CountAsync());
        Assert.Equal(whole[^1], await timeline.Locator("ol li span.author").Last.EvaluateAsync<string>("s => s.nextSibling.textContent.trim()"));
        await timeline.GetByRole(AriaRole.Link, new() { Name = "the whole timeline, from the start" }).ClickAsync();
        var read = await EveryPage("ol.timeline li");
        Assert.Equal(whole.Count, read.Count);
        Assert.All(whole.Zip(read), p => Assert.EndsWith(p.First, p.Second));

        var bad = await bot.Client.GetAsync("/console/incidents/INC-1/alerts?order=oldest");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("order must be first or latest; it was 'oldest'.", await bad.Content.ReadAsStringAsync());
        var forged = await bot.Client.GetAsync("/console/incidents/INC-1/timeline?cursor=bm9wZQ");
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
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
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        await page.GetByRole(AriaRole.Link, new() { Name = "On call" }).ClickAsync();
        var network = await page.Locator("section").First.InnerTextAsync();
        Assert.Matches("Now: (bob|erin) until .*; next: (bob|erin)", network);
        Assert.True(await page.Locator("section tbody tr").CountAsync() >= 7); // daily shifts over the next 7 days
        await ConsoleBrowser.ShotAsync(page, "console-oncall.png");

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

    [Fact]
    public async Task AnOpenIncidentPage_FollowsTheTimelineLive_FromAlertToResolve_InTheViewersZoneToo()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Console:LiveInterval"] = "00:00:00.200" });
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical"}""");
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync(new() { TimezoneId = "Asia/Kolkata" }); // UTC+05:30, no summer time
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        var first = await page.Locator("ol.timeline li time").First.GetAttributeAsync("datetime");
        var local = DateTimeOffset.Parse(first!, System.Globalization.CultureInfo.InvariantCulture).ToOffset(TimeSpan.FromHours(5.5));
        await Assertions.Expect(page.Locator("ol.timeline li").First).ToContainTextAsync($"({local:HH:mm} your time)");

        // Someone acts in Slack (here through the command API, as the local operator): the open page shows it, unreloaded.
        await CommandAsync(bot, "note <img src=x onerror=alert(1)> upstream is shedding load");
        await CommandAsync(bot, "ack");
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("<img src=x onerror=alert(1)> upstream is shedding load");
        await Assertions.Expect(page.Locator("[data-field=status]")).ToHaveTextAsync("acknowledged");
        await CommandAsync(bot, "status identified");
        await Assertions.Expect(page.Locator("[data-field=progress]")).ToHaveTextAsync("identified"); // the summary's progress, live too
        await CommandAsync(bot, "resolve Rate limits hold; error rates normal.");
        await Assertions.Expect(page.Locator("[data-field=status]")).ToHaveTextAsync("resolved"); // alert to resolve, unreloaded
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("Rate limits hold; error rates normal.");
        var shown = await page.Locator("ol.timeline li").AllInnerTextsAsync();
        Assert.Single(shown, t => t.Contains("upstream is shedding load", StringComparison.Ordinal)); // each entry once
        Assert.Equal(0, dialogs);
        await ConsoleBrowser.ShotAsync(page, "console-live.png");
    }

    private static async Task CommandAsync(BotServer bot, string text)
    {
        using var response = await bot.Client.PostAsync("/api/incidents/INC-1/commands", System.Net.Http.Json.JsonContent.Create(new { user = "U07DANA", userName = "dana", text }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TheLiveStream_IsServerSentEvents_OfEntriesAndStatus()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Console:LiveInterval"] = "00:00:00.100", ["Console:LiveStreams"] = "1" });
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/incidents/INC-1/live");
        using var response = await bot.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await bot.Client.GetAsync("/console/incidents/INC-1/live", HttpCompletionOption.ResponseHeadersRead)).StatusCode); // one at a time here
        Assert.Equal(HttpStatusCode.NotFound, (await bot.Client.GetAsync("/console/incidents/INC-9/live")).StatusCode);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        async Task<string> Until(string wanted)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                events.Add(line);
                if (line.Contains(wanted, StringComparison.Ordinal))
                {
                    return line;
                }
            }

            throw new Xunit.Sdk.XunitException($"the stream ended before '{wanted}': {string.Join(" | ", events)}");
        }

        Assert.Contains("\"status\":\"triggered\"", await Until("event: incident") + await reader.ReadLineAsync());
        await CommandAsync(bot, "note from the API");
        Assert.Contains("from the API", await Until("from the API"));
        Assert.Contains(events, l => l.StartsWith("id: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheList_IsFilteredBySeverityTeamAndSearch_AndPagesKeepTheFilters()
    {
        await using var bot = await BotServer.StartAsync(DatabaseTeam(("Teams:network:Members:0:Id", "U02BOB")));
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical","labels":{"team":"database"}}""");
        await bot.PostWebhookAsync("generic", """{"title":"Disk full on db-3","severity":"warning","labels":{"team":"database"}}""");
        await bot.PostWebhookAsync("generic", """{"title":"Checkout slow","severity":"warning"}""");
        await BotServer.EventuallyAsync(
            () => bot.Client.GetStringAsync("/console?status=all&team=database"), html => html.Contains(">INC-2<") && html.Contains(">INC-1<"), TimeSpan.FromSeconds(10), "db-primary, which pages the database team, to page INC-1 and INC-2");
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync();
        async Task<string[]> Shown() => [.. (await page.Locator("tbody tr td:first-child").AllInnerTextsAsync()).Select(t => t.Trim())];

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        await page.GetByLabel("Search").FillAsync("checkout");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        Assert.Equal(["INC-3", "INC-1"], await Shown());

        await page.GetByLabel("Severity").SelectOptionAsync("SEV1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        Assert.Equal(["INC-1"], await Shown());

        await page.GotoAsync(new Uri(bot.Address, "/console?status=all").ToString());
        await page.GetByLabel("Team").SelectOptionAsync("database");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        Assert.Equal(["INC-2", "INC-1"], await Shown()); // the incidents a policy paging the database team paged
        Assert.Contains("team=database", page.Url);
        await page.GetByRole(AriaRole.Link, new() { Name = "resolved" }).ClickAsync();
        Assert.Contains("team=database", page.Url); // the status links keep the other filters
        Assert.Empty(await Shown());

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        await page.GetByLabel("Search").FillAsync("inc-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        Assert.EndsWith("/console/incidents/INC-2", page.Url);

        var bad = await bot.Client.GetAsync("/console?severity=SEV9&from=yesterday&team=nobody");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var detail = await bad.Content.ReadAsStringAsync();
        Assert.Contains("severity 'SEV9' is not SEV1 to SEV4.", detail);
        Assert.Contains("from 'yesterday' is not a day written yyyy-mm-dd.", detail);
        Assert.Contains("team 'nobody' is not a team of the settings (database, network).", detail);
    }

    [Fact]
    public async Task AnIncidentsPage_ShowsWhoWasPaged_AndItsPostmortemDraft_AsText()
    {
        await using var bot = await BotServer.StartAsync(DatabaseTeam());
        await bot.PostWebhookAsync("generic", """{"title":"<b>Replication</b> lag <script>alert(1)</script>","severity":"critical","labels":{"team":"database"}}""");
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };

        await BotServer.EventuallyAsync(
            () => bot.Client.GetStringAsync("/console/incidents/INC-1"), html => html.Contains("alice", StringComparison.Ordinal) && !html.Contains("Nobody was paged", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the page to reach alice");
        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        var paged = await page.Locator("section[aria-labelledby=paged]").InnerTextAsync();
        Assert.Contains("alice", paged);
        Assert.Contains("db-primary", paged);

        await page.GetByLabel("Resolution").FillAsync("Failed over to the replica in the other zone.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "draft" }).ClickAsync();
        var draft = page.Locator("article.postmortem");
        Assert.Contains("<b>Replication</b> lag <script>alert(1)</script>", await draft.Locator("h2").First.InnerTextAsync()); // markup in a title is text
        Assert.Contains("Failed over to the replica in the other zone.", await draft.InnerTextAsync());
        Assert.Equal(0, await draft.Locator("script, b").CountAsync());
        Assert.True(await draft.Locator("li").CountAsync() >= 3); // the timeline is a list: opened, paged, resolved
        Assert.Equal(1, await draft.Locator("strong", new() { HasText = "Root Cause:" }).CountAsync());
        Assert.Equal(0, dialogs);
        await ConsoleBrowser.ShotAsync(page, "console-postmortem.png");
    }

    [Fact]
    public async Task TheReports_CountTheWeeksIncidents_TheirTimes_AndWhoWasPaged()
    {
        // Every page of this test is in working hours.
        await using var bot = await BotServer.StartAsync(DatabaseTeam(("Console:WorkingHours", "Mon-Sun 00:00-24:00")));
        await bot.PostWebhookAsync("generic", """{"title":"Replication lag","severity":"critical","labels":{"team":"database"}}""");
        await bot.PostWebhookAsync("generic", """{"title":"Checkout slow","severity":"warning"}""");
        // alice is paged by a job of the outbox: acknowledged before it ran, the incident would page no one.
        await BotServer.EventuallyAsync(
            () => bot.Client.GetStringAsync("/console/reports"), html => html.Contains(">alice<", StringComparison.Ordinal), TimeSpan.FromSeconds(10), "alice's page in the reports");
        await CommandAsync(bot, "ack");
        var browser = chromium.Browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(bot.Address, "/console").ToString());
        await page.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
        var thisWeek = page.Locator("section[aria-labelledby=per-week] tbody tr").First;
        var cells = await thisWeek.Locator("th, td").AllInnerTextsAsync();
        var headers = (await page.Locator("section[aria-labelledby=per-week] thead th").AllInnerTextsAsync()).ToList();
        string Cell(string header) => cells[headers.IndexOf(header)];
        Assert.Equal(("1", "0", "1", "2"), (Cell("SEV1"), Cell("SEV2"), Cell("SEV3"), Cell("All")));
        Assert.Equal(("1", "1"), (Cell("database"), Cell("(none)")));
        var times = await page.Locator("section[aria-labelledby=times] tbody tr", new() { HasText = "SEV1" }).Locator("td").AllInnerTextsAsync();
        Assert.Equal("1", times[0]);
        Assert.Matches("^[0-9]+ s$", times[1]); // acknowledged within the minute
        Assert.Equal("-", times[3]); // not resolved: no time, not zero
        var database = await page.Locator("section[aria-labelledby=team-times] tbody tr", new() { HasText = "database" }).Locator("td").AllInnerTextsAsync();
        Assert.Equal("1", database[0]);
        Assert.Matches("^[0-9]+ s$", database[1]); // the team's incident, acknowledged
        var none = await page.Locator("section[aria-labelledby=team-times] tbody tr", new() { HasText = "(none)" }).Locator("td").AllInnerTextsAsync();
        Assert.Equal(("1", "-"), (none[0], none[1])); // the unrouted incident, never acknowledged
        Assert.Equal(["alice", "1", "0"], await page.Locator("section[aria-labelledby=people] tbody tr").First.Locator("th, td").AllInnerTextsAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await bot.Client.GetAsync("/console/reports?weeks=0")).StatusCode);
        await ConsoleBrowser.ShotAsync(page, "console-reports.png");
    }

    [Fact]
    public async Task TheSeedsReplayedIncident_ReadsInTheConsole_AsInItsPostmortem()
    {
        // The seed's DDoS replayed on its virtual clock (`-- replay samples/ddos-2023-08-05.yaml`), then the bot started
        // on what the replay stored.
        var folder = Path.Combine(Path.GetTempPath(), "bot-console-replay", Guid.NewGuid().ToString("n"));
        var (output, errors) = (new StringWriter(), new StringWriter());
        Assert.True(0 == await Bot.Replay.ReplayRunner.RunAsync(["replay", RepoFile.Path("samples/ddos-2023-08-05.yaml"), "--out", folder], output, errors), $"{output}{errors}");
        await using var bot = await BotServer.StartAsync(folder: folder);
        var page = await chromium.Browser.NewPageAsync(new() { TimezoneId = "UTC" });

        await page.GotoAsync(new Uri(bot.Address, "/console?status=all&from=2023-08-05&to=2023-08-05").ToString());
        Assert.Equal(["INC-1"], (await page.Locator("tbody tr td:first-child").AllInnerTextsAsync()).Select(t => t.Trim()));
        await page.GetByRole(AriaRole.Link, new() { Name = "INC-1" }).ClickAsync();
        Assert.Contains("resolved", await page.Locator("[data-field=status]").InnerTextAsync());
        var timeline = await page.Locator("section[aria-labelledby=timeline]").InnerTextAsync();
        Assert.Contains("10:30", timeline);
        Assert.Contains("database connectivity", timeline);
        await ConsoleBrowser.ShotAsync(page, "console-replayed.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "draft" }).ClickAsync();
        var draft = await page.Locator("article.postmortem").InnerTextAsync();
        Assert.Contains("Outage Duration: August 5, 2023, 10:00 AM - August 5, 2023, 2:30 PM (UTC), 4 h 30 min", draft);
        Assert.Contains("Time to acknowledge: 15 min; to mitigate: 3 h 30 min; to resolve: 4 h 30 min", draft);
        Assert.Contains("10:15 AM: Engineering team engaged, initiated investigation.", draft);
    }

    [Fact]
    public async Task OnAPhone_ThePagesFitTheScreen_AndTheKeyboardReachesEveryAction()
    {
        await using var bot = await BotServer.StartAsync(DatabaseTeam());
        await bot.PostWebhookAsync("generic", """{"title":"Replication lag on the primary database of the payments cluster","severity":"critical","labels":{"team":"database"}}""");
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 375, Height = 740 }, IsMobile = true, HasTouch = true });

        foreach (var path in new[] { "/console?status=all", "/console/incidents/INC-1", "/console/incidents/INC-1/alerts", "/console/incidents/INC-1/timeline", "/console/oncall", "/console/routes", "/console/reports" })
        {
            await page.GotoAsync(new Uri(bot.Address, path).ToString());
            var width = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
            var widest = await page.EvaluateAsync<string>("Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 376).map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right)).slice(0, 5).join(' ')");
            Assert.True(width <= 375, $"{path} is {width} px wide on a 375 px screen: {widest}");
        }

        await page.GotoAsync(new Uri(bot.Address, "/console/incidents/INC-1").ToString());
        Assert.Equal("SEV1", await page.Locator("[data-field=severity]").InnerTextAsync()); // severity in words, not colour alone
        var reached = new List<string>();
        for (var i = 0; i < 20 && !reached.Contains("Resolve"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
            reached.Add(await page.EvaluateAsync<string>("document.activeElement.innerText || document.activeElement.id"));
        }

        Assert.Contains("Acknowledge", reached);
        Assert.Contains("note", reached);
        Assert.Contains("Resolve", reached);
        await ConsoleBrowser.ShotAsync(page, "console-phone.png");
    }

    /// <summary>A database team (alice, on call), the policy db-primary paging its on-call, and a route sending team=database there.</summary>
    private static Dictionary<string, string?> DatabaseTeam(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Teams:database:Members:0:Id"] = "U01ALICE",
            ["Teams:database:Members:0:Name"] = "alice",
            ["Teams:database:Rotation:Members:0"] = "U01ALICE",
            ["EscalationPolicies:db-primary:Steps:0:Targets:0"] = "oncall:database",
            ["EscalationPolicies:db-primary:Steps:0:Wait"] = "15m",
            ["Routes:Routes:0:Match:0"] = "team=database",
            ["Routes:Routes:0:Policies:0"] = "db-primary",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
