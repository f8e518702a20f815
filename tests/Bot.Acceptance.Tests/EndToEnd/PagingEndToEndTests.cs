using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>
/// Paging outside chat over real HTTP and SMTP: an SMS through a Twilio stand-in that checks requests as Twilio does,
/// acknowledged by a signed reply; an e-mail through a real SMTP server (aiosmtpd), acknowledged once by its link.
/// </summary>
public sealed partial class PagingEndToEndTests
{
    private const string Dave = "UDAVE";
    private const string Phone = "+15551230004";

    private static Dictionary<string, string?> Paging(params string[] rules)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Teams:database:Members:0:Id"] = Dave,
            ["EscalationPolicies:database:Steps:0:Targets:0"] = "team:database",
            ["EscalationPolicies:database:Steps:0:Wait"] = "30m",
            ["Routes:Policies:0"] = "database",
            [$"People:{Dave}:Name"] = "dave",
            [$"People:{Dave}:Phone"] = Phone,
            [$"People:{Dave}:Email"] = "dave@example.com",
        };
        for (var i = 0; i < rules.Length; i++)
        {
            settings[$"People:{Dave}:Notify:{i}"] = rules[i];
        }

        return settings;
    }

    /// <summary>Twilio's settings, its API the stand-in's.</summary>
    private static void UseTwilio(Dictionary<string, string?> settings, FakeTwilio twilio)
    {
        settings["Twilio:AccountSid"] = FakeTwilio.AccountSid;
        settings["Twilio:AuthToken"] = FakeTwilio.AuthToken;
        settings["Twilio:From"] = FakeTwilio.From;
        settings["Twilio:ApiBaseUrl"] = twilio.ApiBaseUrl.ToString();
    }

    /// <summary>The mail settings, through the test's SMTP server, the links' address the bot's public one.</summary>
    private static void UseEmail(Dictionary<string, string?> settings, SmtpServer smtp)
    {
        settings["Email:Host"] = "127.0.0.1";
        settings["Email:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Email:Security"] = "none";
        settings["Email:From"] = "Incident bot <incidents@example.com>";
        settings["Email:PublicUrl"] = "https://bot.example.com/";
        settings["Email:LinkSecret"] = "a-secret-of-at-least-32-characters-long";
    }

    /// <summary>Dave paged by SMS and e-mail, through Twilio's stand-in, which holds the first SMS a minute, and the SMTP server.</summary>
    internal static Dictionary<string, string?> SmsHeldByTwilio(FakeTwilio twilio, SmtpServer smtp)
    {
        twilio.AnswerNextLate(TimeSpan.FromMinutes(1));
        var settings = Paging("sms", "email");
        UseTwilio(settings, twilio);
        UseEmail(settings, smtp);
        return settings;
    }

    private static async Task<string> StatusAsync(BotServer bot) =>
        (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString()!;

    [Fact]
    public async Task AnSmsPage_GoesThroughTwilio_AndASignedReplyOf1Acknowledges_WhileAForgedOneChangesNothing()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        var settings = Paging("chat", "sms", "email 3s");
        UseTwilio(settings, twilio);
        await using var bot = await BotServer.StartAsync(settings);

        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""")).StatusCode);
        var sms = await BotServer.EventuallyAsync(
            () => Task.FromResult(twilio.Messages.ToList()), m => m.Count == 1, TimeSpan.FromSeconds(15), "the SMS; Twilio refused: " + string.Join("; ", twilio.Refused));
        Assert.Equal(Phone, sms[0].To);
        Assert.Equal(FakeTwilio.From, sms[0].From);
        Assert.StartsWith("INC-1 SEV1: Primary database down Reply 1 to acknowledge. (ref ", sms[0].Body);
        Assert.True(sms[0].Body.Length <= 160);

        var webhook = new Uri(bot.Address, "/twilio/sms");
        var forged = await twilio.ReplyAsync(webhook, Phone, "1", signWith: "not-the-auth-token-0123456789abcd");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("triggered", await StatusAsync(bot));

        var reply = await twilio.ReplyAsync(webhook, Phone, "1");
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Contains("<Response><Message>", await reply.Content.ReadAsStringAsync());
        Assert.Equal("acknowledged", await StatusAsync(bot));

        // The e-mail rule (3 s after the page) runs after the acknowledgement and sends nothing: no mail server is
        // configured, so had it tried, its failure would be on the timeline.
        await bot.WaitForQuietOutboxAsync(TimeSpan.FromSeconds(10));
        var timeline = (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList();
        Assert.Contains(timeline, t => t.StartsWith("Sent an SMS to dave (their rule 2", StringComparison.Ordinal));
        Assert.Contains(timeline, t => t.Contains("dave (by SMS)", StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, t => t.Contains("e-mail", StringComparison.Ordinal) || t.Contains("Could not", StringComparison.Ordinal));
        Assert.Single(twilio.Messages);
    }

    [Fact]
    public async Task APhoneCallPage_ReadsTheIncident_AndPressing1Acknowledges_BehindAProxy()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        var settings = Paging("voice");
        UseTwilio(settings, twilio);
        settings["Twilio:PublicUrl"] = "https://bot.example.com/"; // Twilio calls this; a proxy forwards to the bot
        await using var bot = await BotServer.StartAsync(settings);

        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""")).StatusCode);
        var call = (await BotServer.EventuallyAsync(
            () => Task.FromResult(twilio.Calls.ToList()), c => c.Count == 1, TimeSpan.FromSeconds(15), "the call; Twilio refused: " + string.Join("; ", twilio.Refused)))[0];
        Assert.Equal(Phone, call.To);
        Assert.Equal(FakeTwilio.From, call.From);
        Assert.Contains("You are paged for incident 1, SEV1: Primary database down. Press 1 to acknowledge.", call.Twiml.Value);
        Assert.Equal("https://bot.example.com/twilio/voice?incident=1", call.GatherAction.ToString());

        var forged = await twilio.PressAsync(call, "1", via: bot.Address, signWith: "not-the-auth-token-0123456789abcd");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        var other = await twilio.PressAsync(call, "2", via: bot.Address);
        Assert.Contains("Not acknowledged", await other.Content.ReadAsStringAsync());
        Assert.Equal("triggered", await StatusAsync(bot));

        var pressed = await twilio.PressAsync(call, "1", via: bot.Address);
        Assert.Equal(HttpStatusCode.OK, pressed.StatusCode);
        Assert.Contains("Incident 1 is acknowledged", await pressed.Content.ReadAsStringAsync());
        Assert.Equal("acknowledged", await StatusAsync(bot));
        var timeline = await BotServer.EventuallyAsync( // the call is noted once Twilio answered the bot's request
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList(),
            list => list.Any(t => t.StartsWith("Called dave (their rule 1", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the call on the timeline");
        Assert.Contains(timeline, t => t.Contains("dave (by phone call)", StringComparison.Ordinal));
    }

    /// <summary>Dave paged by <paramref name="rules"/> through Twilio's stand-in, which reaches the bot at a public address behind a proxy: the incident opened.</summary>
    private static async Task<BotServer> PagedThroughTwilioAsync(FakeTwilio twilio, params string[] rules)
    {
        var settings = Paging(rules);
        UseTwilio(settings, twilio);
        settings["Twilio:PublicUrl"] = "https://bot.example.com/";
        var bot = await BotServer.StartAsync(settings);
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""")).StatusCode);
        return bot;
    }

    /// <summary>
    /// <c>/incident notify test</c> over real HTTP and SMTP: one test page on each of dave's channels, through Twilio and the
    /// mail server as real pages go, each saying it is a test and asking for nothing (no reply hint, no key to press, no
    /// link to acknowledge, no status to report), and no incident opened.
    /// </summary>
    [Fact]
    public async Task ATestPage_ReachesThePersonOnEachChannel_AskingForNothing()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var smtp = await SmtpServer.StartAsync();
        var settings = Paging("chat", "sms", "voice 1m", "email 2m");
        UseTwilio(settings, twilio);
        UseEmail(settings, smtp);
        settings["Twilio:PublicUrl"] = "https://bot.example.com/";
        await using var bot = await BotServer.StartAsync(settings);

        var reply = await bot.Client.PostAsJsonAsync("/api/commands", new { user = Dave, userName = "dave", text = "notify test" });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        Assert.Contains("Sending you a test page by chat, sms, voice, email", await reply.Content.ReadAsStringAsync());
        await BotServer.EventuallyAsync(
            () => Task.FromResult((twilio.Messages.Count, twilio.Calls.Count, smtp.Messages.Count)), n => n == (1, 1, 1), TimeSpan.FromSeconds(15),
            "the SMS, the call and the e-mail; Twilio refused: " + string.Join("; ", twilio.Refused));
        await bot.WaitForQuietOutboxAsync();

        var sms = Assert.Single(twilio.Messages);
        Assert.Matches(@"^Test page from the incident bot: this is how you are paged by sms\. Nothing to do\. \(ref [0-9a-f]{6}\)$", sms.Body);
        Assert.Null(sms.StatusCallback);
        var call = Assert.Single(twilio.Calls);
        Assert.Contains("this is how you are paged by voice", call.Twiml.Value);
        Assert.Empty(call.Twiml.Descendants("Gather"));
        Assert.Null(call.StatusCallback);
        var mail = Assert.Single(smtp.Messages);
        Assert.Contains("Subject: [Test page] How the incident bot pages you", mail, StringComparison.Ordinal);
        Assert.DoesNotContain("/ack/", mail, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(bot.Folder, "chat", $"dm-{Dave.ToLowerInvariant()}.jsonl")));
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
    }

    /// <summary>The incident's page entries' texts, as the read API gives them.</summary>
    private static async Task<List<string>> PageEntriesAsync(BotServer bot) =>
        [.. (await bot.GetJsonAsync("/api/incidents/INC-1/timeline?kind=page")).EnumerateArray().Select(e => $"{e.GetProperty("author").GetString()}: {e.GetProperty("text").GetString()}")];

    /// <summary>
    /// Twilio tells the bot what became of an SMS it accepted: the page's SMS carries a signed status callback (the public
    /// address), a status on the way is not noted, "undelivered" with Twilio's error is noted once however often it is
    /// told (and whatever came before), and a forged report changes nothing. A second SMS's delivery is its own entry.
    /// </summary>
    [Fact]
    public async Task AnSmsTwilioCouldNotDeliver_IsNotedOnTheTimeline_OnceWithTheReason_AndAForgedReportIsRefused()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var bot = await PagedThroughTwilioAsync(twilio, "sms", "sms 1s");
        var sms = await BotServer.EventuallyAsync(
            () => Task.FromResult(twilio.Messages.ToList()), m => m.Count == 2, TimeSpan.FromSeconds(15), "both rules' SMS; Twilio refused: " + string.Join("; ", twilio.Refused));
        Assert.Equal($"https://bot.example.com/twilio/status?incident=1&user={Dave}&channel=sms", sms[0].StatusCallback!.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await twilio.MessageStatusAsync(sms[0], "sent", via: bot.Address)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await twilio.MessageStatusAsync(sms[0], "delivered", via: bot.Address, signWith: "not-the-auth-token-0123456789abcd")).StatusCode);
        for (var told = 0; told < 2; told++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await twilio.MessageStatusAsync(sms[0], "undelivered", via: bot.Address, errorCode: "30003")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await twilio.MessageStatusAsync(sms[1], "delivered", via: bot.Address)).StatusCode);

        var entries = (await PageEntriesAsync(bot)).Where(e => e.StartsWith("Twilio: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                $"Twilio: SMS to dave not delivered (undelivered, Twilio error 30003: the phone is off or out of reach): it did not reach them ({sms[0].Sid}).",
                $"Twilio: SMS to dave delivered ({sms[1].Sid}).",
            ],
            entries);
        Assert.Equal(HttpStatusCode.BadRequest, (await bot.Client.PostAsync("/twilio/status?incident=1", new FormUrlEncodedContent([]))).StatusCode); // no person nor channel
        var fax = sms[0] with { StatusCallback = new Uri($"https://bot.example.com/twilio/status?incident=1&user={Dave}&channel=fax") };
        Assert.Equal(HttpStatusCode.BadRequest, (await twilio.MessageStatusAsync(fax, "delivered", via: bot.Address)).StatusCode); // signed, but no channel of Twilio's

        // The SMS that did not reach dave is said in the incident's channel too, once; the one delivered is not.
        await bot.WaitForQuietOutboxAsync();
        var channel = (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("channel").GetString()!;
        var posted = File.ReadAllLines(Path.Combine(bot.Folder, "chat", channel + ".jsonl")).Where(l => l.Contains(":warning: Twilio", StringComparison.Ordinal)).ToList();
        Assert.Contains($"SMS to dave not delivered (undelivered, Twilio error 30003: the phone is off or out of reach): it did not reach them ({sms[0].Sid}). Reach them another way", Assert.Single(posted));
    }

    /// <summary>A page's call carries a signed status callback for its end; a call nobody answered is noted, and one answered with how long it lasted.</summary>
    [Fact]
    public async Task APhoneCallNobodyAnswered_IsNotedOnTheTimeline_AndOneAnswered_WithItsLength()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var bot = await PagedThroughTwilioAsync(twilio, "voice", "voice 1s");
        var calls = await BotServer.EventuallyAsync(
            () => Task.FromResult(twilio.Calls.ToList()), c => c.Count == 2, TimeSpan.FromSeconds(15), "both rules' calls; Twilio refused: " + string.Join("; ", twilio.Refused));
        Assert.Equal($"https://bot.example.com/twilio/status?incident=1&user={Dave}&channel=voice", calls[0].StatusCallback!.ToString());

        Assert.Equal(HttpStatusCode.NoContent, (await twilio.CallStatusAsync(calls[0], "no-answer", via: bot.Address)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await twilio.CallStatusAsync(calls[1], "completed", via: bot.Address, duration: 23)).StatusCode);

        var entries = (await PageEntriesAsync(bot)).Where(e => e.StartsWith("Twilio: ", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"Twilio: Call to dave not answered (no answer) ({calls[0].Sid}).", $"Twilio: Call to dave answered, 23 s ({calls[1].Sid})."], entries);
    }

    [Fact]
    public async Task AnSmsWhoseAnswerWasLost_IsNotSentAgain_ByTheRetry()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        twilio.AnswerNextLate(TimeSpan.FromSeconds(3)); // Twilio sends it, but the bot's try times out first
        var settings = Paging("sms");
        UseTwilio(settings, twilio);
        settings["Outbox:JobTimeout"] = "00:00:01";
        settings["Outbox:RetryBaseDelay"] = "00:00:00.200";
        await using var bot = await BotServer.StartAsync(settings);

        await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""");
        await BotServer.EventuallyAsync(
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Count(e => e.GetProperty("text").GetString()!.StartsWith("Sent an SMS", StringComparison.Ordinal)),
            n => n == 1, TimeSpan.FromSeconds(20), "the SMS noted once");
        await bot.WaitForQuietOutboxAsync();

        Assert.Single(twilio.Messages);
    }

    [Fact]
    public async Task AnEmailPage_ArrivesOverSmtp_AndItsLinkAcknowledgesOnce_AfterAButton()
    {
        await using var smtp = await SmtpServer.StartAsync();
        var settings = Paging("chat", "email");
        UseEmail(settings, smtp);
        await using var bot = await BotServer.StartAsync(settings);

        await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""");
        var raw = await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages), m => m.Count == 1, TimeSpan.FromSeconds(15), "the e-mail");
        var mail = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw[0])));
        Assert.Equal("[INC-1 SEV1] Primary database down", mail.Subject);
        Assert.Equal("dave@example.com", mail.To.Mailboxes.Single().Address);
        var link = Link().Match(mail.TextBody ?? "").Groups[1].Value;
        Assert.NotEmpty(link);

        var shown = await bot.Client.GetAsync($"/ack/{link}");
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.Contains("<form method=\"post\">", await shown.Content.ReadAsStringAsync());
        Assert.Equal("triggered", await StatusAsync(bot)); // opening the link (a mail scanner does) acknowledges nothing

        var forged = await bot.Client.PostAsync($"/ack/{link[..^2]}xx", null);
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.Equal("triggered", await StatusAsync(bot));

        var acknowledged = await bot.Client.PostAsync($"/ack/{link}", null);
        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        Assert.Equal("acknowledged", await StatusAsync(bot));
        var again = await bot.Client.PostAsync($"/ack/{link}", null);
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
    }

    /// <summary>
    /// An SMS provider that hangs holds back no e-mail: with one slot for each provider, the SMS (due first) held by Twilio
    /// for longer than the e-mail may take, the e-mail due at the same time goes out at once, and the SMS once Twilio
    /// answers; each is sent and noted once. In one lane for both, the e-mail waited for the SMS's slot until its try timed
    /// out (30 s): the escalation benchmark's e-mails with each SMS taking 1 s, p50 52 s late.
    /// </summary>
    [Fact]
    public async Task AnEmailPage_GoesOutAtOnce_WhileTheSmsProviderHangs()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var smtp = await SmtpServer.StartAsync();
        var settings = SmsHeldByTwilio(twilio, smtp);
        settings["Outbox:PagingConcurrency"] = "1";
        await using var bot = await BotServer.StartAsync(settings);

        await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""");
        await BotServer.EventuallyAsync(() => Task.FromResult(twilio.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the SMS, held by Twilio");
        var mail = await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages), m => m.Count == 1, TimeSpan.FromSeconds(10), "the e-mail, while the SMS is held");
        Assert.Contains("dave@example.com", mail[0], StringComparison.Ordinal);

        twilio.AnswerNow();
        await BotServer.EventuallyAsync(
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Select(e => e.GetProperty("text").GetString()!).ToList(),
            t => t.Count(e => e.StartsWith("Sent an SMS to dave", StringComparison.Ordinal)) == 1 && t.Count(e => e.StartsWith("Sent an e-mail to dave", StringComparison.Ordinal)) == 1,
            TimeSpan.FromSeconds(15),
            "each page noted once");
        await bot.WaitForQuietOutboxAsync();
        Assert.Single(twilio.Messages);
        Assert.Single(smtp.Messages);
    }

    /// <summary>
    /// An incident's pages not out yet, on the read API for those outside the channel: the later rule's e-mail is
    /// scheduled (the chat page went out at once), and once it went out nothing is pending. A bad limit and an unknown
    /// incident are clear errors.
    /// </summary>
    [Fact]
    public async Task AnIncidentsPendingPages_ShowTheLaterRulesEmail_Scheduled_UntilItGoesOut()
    {
        await using var smtp = await SmtpServer.StartAsync();
        var settings = Paging("chat", "email 3s");
        UseEmail(settings, smtp);
        await using var bot = await BotServer.StartAsync(settings);

        var opened = DateTimeOffset.UtcNow;
        await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""");
        var pending = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1/pending-pages"), p => p.GetArrayLength() == 1, TimeSpan.FromSeconds(10), "the e-mail's page, scheduled");
        var email = pending[0];
        Assert.Equal(("E-mail to dave", "scheduled", 0), (email.GetProperty("what").GetString(), email.GetProperty("stage").GetString(), email.GetProperty("attempts").GetInt32()));
        Assert.InRange(email.GetProperty("dueAt").GetDateTimeOffset(), opened.AddSeconds(2), opened.AddSeconds(15));
        Assert.StartsWith("scheduled for ", email.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, email.GetProperty("lastError").ValueKind);

        await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the e-mail");
        await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1/pending-pages"), p => p.GetArrayLength() == 0, TimeSpan.FromSeconds(10), "nothing pending once it went out");

        Assert.Equal(HttpStatusCode.BadRequest, (await bot.Client.GetAsync("/api/incidents/INC-1/pending-pages?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bot.Client.GetAsync("/api/incidents/INC-9/pending-pages")).StatusCode);
    }

    /// <summary>
    /// What the bot's alert rule <c>IncidentBotPagesHeld</c> reads when a provider hangs: Twilio holds the SMS past its
    /// try's timeout, so it waits for its next try (30 s on), not due and in no queue. The phone lane's oldest job not
    /// done (<c>incidentbot_outbox_oldest_undone_age_seconds</c> on <c>/metrics</c>) counts from when it first fell due and
    /// climbs past the try; the lane's oldest due job's age stays 0 (that gauge, which the rule read before, never saw a
    /// provider failing a few pages); the e-mail lane's stays 0 (its page went out). The rule's thresholds are pinned by
    /// promtool's tests of its file. The bot runs as a process of its own: its gauges are its alone (in this process,
    /// every bot's meters answer every bot's /metrics).
    /// </summary>
    [Fact]
    public async Task AnSmsProviderThatHangs_ShowsInThePhoneLanesOldestUndoneAge_BetweenTries_NotInTheEmailLanes()
    {
        await using var twilio = await FakeTwilio.StartAsync();
        await using var smtp = await SmtpServer.StartAsync();
        var settings = SmsHeldByTwilio(twilio, smtp);
        settings["Outbox:JobTimeout"] = "00:00:01";
        settings["Outbox:RetryBaseDelay"] = "00:00:30";
        settings["OpenTelemetry:StatsInterval"] = "00:00:00.250";
        await using var bot = await BotProcess.StartAsync(BotServer.Arguments(settings));
        using var http = new HttpClient { BaseAddress = bot.Address };

        var posted = await http.PostAsync("/webhooks/generic", new StringContent("""{"title":"Primary database down","severity":"critical"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        await BotServer.EventuallyAsync(() => Task.FromResult(twilio.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the SMS, held by Twilio");
        await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages.Count), n => n == 1, TimeSpan.FromSeconds(15), "the e-mail, while the SMS is held");

        var held = await BotServer.EventuallyAsync(() => AgesAsync(http), a => a.PhoneUndone >= 3, TimeSpan.FromSeconds(20), "the phone lane's oldest job not done, past its try");
        Assert.Equal((0, 0), (held.PhoneDue, held.EmailUndone));
        Assert.Single(twilio.Messages); // not tried again yet: it waits between tries
        twilio.AnswerNow(); // the held request ends with the test
    }

    /// <summary>The phone lane's oldest due and oldest undone ages and the e-mail lane's oldest undone, as Prometheus scrapes them.</summary>
    private static async Task<(double PhoneUndone, double PhoneDue, double EmailUndone)> AgesAsync(HttpClient bot)
    {
        var text = await bot.GetStringAsync("/metrics");
        double Age(string gauge, string lane) => double.Parse(
            LaneAge().Matches(text).Single(m => m.Groups["gauge"].Value == gauge && m.Groups["lane"].Value == lane).Groups["age"].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        return (Age("undone", "phone"), Age("due", "phone"), Age("undone", "email"));
    }

    [GeneratedRegex("""^incidentbot_outbox_oldest_(?<gauge>due|undone)_age_seconds\{[^}]*lane="(?<lane>[a-z_]+)"[^}]*\} (?<age>\S+)""", RegexOptions.Multiline)]
    private static partial Regex LaneAge();

    [Fact]
    public async Task AnExpiredLink_AcknowledgesNothing()
    {
        await using var smtp = await SmtpServer.StartAsync();
        var settings = Paging("email");
        UseEmail(settings, smtp);
        settings["Email:LinkLifetime"] = "00:00:01";
        await using var bot = await BotServer.StartAsync(settings);

        await bot.PostWebhookAsync("generic", """{"title":"Primary database down","severity":"critical"}""");
        var raw = await BotServer.EventuallyAsync(() => Task.FromResult(smtp.Messages), m => m.Count == 1, TimeSpan.FromSeconds(15), "the e-mail");
        var link = Link().Match(MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw[0]))).TextBody ?? "").Groups[1].Value;

        await BotServer.EventuallyAsync(async () => (await bot.Client.GetAsync($"/ack/{link}")).StatusCode, s => s == HttpStatusCode.NotFound, TimeSpan.FromSeconds(10), "the link expired");
        Assert.Equal(HttpStatusCode.NotFound, (await bot.Client.PostAsync($"/ack/{link}", null)).StatusCode);
        Assert.Equal("triggered", await StatusAsync(bot));
    }

    [Fact]
    public async Task BadPagingSettings_StopTheStart_NamingTheKey()
    {
        var (code, _, stderr) = await BotAppTests.RunBotAsync("--Twilio:AccountSid=AC123", "--People:U1:Notify:0=sms 2m");

        Assert.Equal(2, code);
        Assert.Contains("Twilio needs AccountSid, AuthToken and From together", stderr);
        Assert.Contains("People:U1:Notify:0 'sms 2m' needs People:U1:Phone.", stderr);
    }

    [Fact]
    public void TwilioSignatures_AreTwiliosDocumentedExample()
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CA1234567890ABCDE", ["Caller"] = "+12349013030", ["Digits"] = "1234", ["From"] = "+12349013030", ["To"] = "+18005551212",
        };

        Assert.Equal("0/KCTR6DLpKmkAf8muzZqo1nDgQ=", Bot.Paging.Twilio.TwilioSignature.Compute("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form));
        Assert.True(Bot.Paging.Twilio.TwilioSignature.IsValid("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        Assert.False(Bot.Paging.Twilio.TwilioSignature.IsValid("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    }

    [Fact]
    public void AnSmsBody_IsOneSegmentOfPlainAscii_EndingWithTheReplyHintAndReference()
    {
        var body = Bot.Paging.Twilio.TwilioSms.Body($"INC-7 SEV1: Zahlungsdienst gestört – {new string('x', 300)}", "ref 3fa9c1");

        Assert.Equal(160, body.Length);
        Assert.All(body, c => Assert.InRange(c, ' ', '~'));
        Assert.StartsWith("INC-7 SEV1: Zahlungsdienst gest?rt ? xxx", body);
        Assert.EndsWith("... Reply 1 to acknowledge. (ref 3fa9c1)", body);
        Assert.Equal("INC-7 SEV1: DB down Reply 1 to acknowledge. (ref 3fa9c1)", Bot.Paging.Twilio.TwilioSms.Body("INC-7 SEV1: DB down", "ref 3fa9c1"));
    }

    [Fact]
    public void AckLinks_ReadBackOnlyUnaltered_AndUnderTheirSecret()
    {
        var expires = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);
        var link = Bot.Paging.Email.AckLinks.Create("secret-0123456789abcdef0123456789abcdef", 42, "U0DAVE", expires);

        Assert.Equal(new Bot.Paging.Email.AckLinks.Link(42, "U0DAVE", expires), Bot.Paging.Email.AckLinks.Read("secret-0123456789abcdef0123456789abcdef", link));
        Assert.Null(Bot.Paging.Email.AckLinks.Read("another-secret-0123456789abcdef0123456", link));
        var other = Bot.Paging.Email.AckLinks.Create("secret-0123456789abcdef0123456789abcdef", 43, "U0DAVE", expires);
        Assert.Null(Bot.Paging.Email.AckLinks.Read("secret-0123456789abcdef0123456789abcdef", other.Split('.')[0] + "." + link.Split('.')[1])); // INC-43 with INC-42's signature
    }

    [Fact]
    public async Task AVoiceRuleWithoutTwiliosPublicUrl_StopsTheStart()
    {
        var (code, _, stderr) = await BotAppTests.RunBotAsync(
            $"--Twilio:AccountSid={FakeTwilio.AccountSid}", $"--Twilio:AuthToken={FakeTwilio.AuthToken}", $"--Twilio:From={FakeTwilio.From}",
            "--People:U1:Phone=+15551230001", "--People:U1:NotifyImportant:0=voice 5m");

        Assert.Equal(2, code);
        Assert.Contains("Twilio:PublicUrl is needed for the voice rules of People:U1", stderr);
    }

    [GeneratedRegex(@"https://bot\.example\.com/ack/(\S+)")]
    private static partial Regex Link();
}
