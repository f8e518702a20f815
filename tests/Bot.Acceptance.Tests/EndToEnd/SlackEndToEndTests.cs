using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bot.Slack.Signing;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>The bot with Slack settings, talking to the fake Slack Web API.</summary>
public class SlackEndToEndTests
{
    private const string Secret = "e2e-signing-secret";

    private static Task<BotServer> StartAsync(FakeSlack fake, Dictionary<string, string?>? more = null, string? folder = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Slack:BotToken"] = FakeSlack.Token,
            ["Slack:SigningSecret"] = Secret,
            ["Slack:ApiBaseUrl"] = fake.ApiBaseUrl.ToString(),
            ["Slack:IncidentsChannel"] = "C0INCIDENTS",
            ["Slack:InviteUsers:0"] = "U0ONCALL",
            ["Outbox:RetryBaseDelay"] = "00:00:00.200",
            ["Outbox:RetryMaxDelay"] = "00:00:01",
        };
        foreach (var (k, v) in more ?? [])
        {
            settings[k] = v;
        }

        return BotServer.StartAsync(settings, folder: folder);
    }

    private static Task<T> EventuallyAsync<T>(Func<T> read, Func<T, bool> done, string what) =>
        BotServer.EventuallyAsync(() => Task.FromResult(read()), done, TimeSpan.FromSeconds(15), what);

    [Fact]
    public async Task AlertmanagerPayload_MakesTheIncidentChannel_TopicInvitePinnedSummaryAndAnnouncement()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake);

        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));

        var announcement = await EventuallyAsync(
            () => fake.CallsTo("chat.postMessage").FirstOrDefault(c => c.Args["channel"]!.ToString() == "C0INCIDENTS"), c => c is not null, "the announcement");
        var created = Assert.Single(fake.CallsTo("conversations.create"));
        var name = created.Args["name"]!.ToString();
        Assert.Matches(new Regex("^inc-\\d{8}-[a-z0-9_-]+$"), name);
        Assert.True(name.Length <= 80);
        Assert.Equal("SEV1 | triggered | lead: none | INC-1: HighErrorRate: 5xx error rate above 20% on transaction API", fake.CallsTo("conversations.setTopic").Single().Args["topic"]!.ToString());
        Assert.Equal("U0ONCALL", fake.CallsTo("conversations.invite").Single().Args["users"]!.ToString());
        var summary = fake.CallsTo("chat.postMessage").First(c => c.Args["channel"]!.ToString() != "C0INCIDENTS");
        Assert.Contains("incident_resolve", summary.Args["blocks"]!.ToJsonString());
        Assert.Contains("runbooks.example.com", summary.Args["blocks"]!.ToJsonString());
        Assert.Single(fake.CallsTo("pins.add"));
        var channelId = fake.CallsTo("conversations.setTopic").Single().Args["channel"]!.ToString();
        var blocks = announcement!.Args["blocks"]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Contains($"<#{channelId}|{name}>", blocks); // a link Slack users can click, not escaped away
        var details = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal(name, details.GetProperty("incident").GetProperty("channel").GetString());
    }

    private static readonly Dictionary<string, string?> NetworkTeam = new()
    {
        ["Teams:network:Members:0:Id"] = "U0BOB",
        ["Teams:network:Members:0:Name"] = "bob",
        ["Teams:network:Rotation:Members:0"] = "U0BOB",
        ["Teams:network:Rotation:ShiftLength"] = "1w",
        ["Teams:network:Rotation:Start"] = "2023-07-31",
        ["Teams:network:Rotation:TimeZone"] = "UTC",
    };

    private static Task<HttpResponseMessage> SignedAsync(BotServer bot, string path, string body, string contentType = "application/x-www-form-urlencoded")
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Add(SlackSignature.TimestampHeader, ts);
        request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
        return bot.Client.SendAsync(request);
    }

    private static string Submission(string user, string title, string severity, string? team)
    {
        static System.Text.Json.Nodes.JsonObject Select(string? value) => new()
        {
            ["value"] = new System.Text.Json.Nodes.JsonObject
            {
                ["type"] = "static_select",
                ["selected_option"] = value is null ? null : new System.Text.Json.Nodes.JsonObject { ["value"] = value },
            },
        };
        var payload = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "view_submission",
            ["user"] = new System.Text.Json.Nodes.JsonObject { ["id"] = user, ["name"] = user.ToLowerInvariant() },
            ["view"] = new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = "V1",
                ["callback_id"] = "incident_declare",
                ["private_metadata"] = "C-GENERAL",
                ["state"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["values"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["title"] = new System.Text.Json.Nodes.JsonObject { ["value"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "plain_text_input", ["value"] = title } },
                        ["severity"] = Select(severity),
                        ["team"] = Select(team),
                    },
                },
            },
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    [Fact]
    public async Task DeclareWithNothingElse_OpensTheForm_WhoseSubmissionDeclaresAndPages()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake, NetworkTeam);

        var opened = await SignedAsync(bot, "/slack/commands", "command=%2Fincident&text=declare&user_id=U1&user_name=alice&channel_id=C-GENERAL&team_id=T1&trigger_id=13345224609.738474920.8088930838d88f008e0");
        Assert.Contains("Fill in the form", await opened.Content.ReadAsStringAsync());
        var call = Assert.Single(fake.CallsTo("views.open"));
        Assert.Equal("13345224609.738474920.8088930838d88f008e0", call.Args["trigger_id"]!.ToString());
        var view = call.Args["view"]!;
        Assert.Equal("incident_declare", view["callback_id"]!.ToString());
        Assert.Equal("C-GENERAL", view["private_metadata"]!.ToString());
        Assert.Contains("\"value\":\"network\"", view.ToJsonString());

        var submitted = await SignedAsync(bot, "/slack/interactions", Submission("U1", "Checkout errors above 5%", "SEV2", "network"));

        Assert.Equal(System.Net.HttpStatusCode.OK, submitted.StatusCode);
        Assert.Equal("", await submitted.Content.ReadAsStringAsync()); // the modal closes
        var incident = (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident");
        Assert.Equal("Checkout errors above 5%", incident.GetProperty("title").GetString());
        Assert.Equal("SEV2", incident.GetProperty("severity").GetString());
        var confirmed = Assert.Single(fake.CallsTo("chat.postEphemeral"));
        Assert.Equal("C-GENERAL", confirmed.Args["channel"]!.ToString());
        Assert.Contains("Declared INC-1", confirmed.Args["text"]!.ToString());
        await EventuallyAsync(() => fake.CallsTo("chat.postMessage"), p => p.Any(c => c.Args["channel"]!.ToString() == "U0BOB"), "bob paged by DM");
    }

    /// <summary>A submission of the override form, as Slack posts it: the chosen team, person and length.</summary>
    private static string OverrideSubmission(string user, string? team, string? who, string? length)
    {
        static System.Text.Json.Nodes.JsonObject Select(string? value) =>
            new() { ["value"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "static_select", ["selected_option"] = value is null ? null : new System.Text.Json.Nodes.JsonObject { ["value"] = value } } };
        var payload = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "view_submission",
            ["user"] = new System.Text.Json.Nodes.JsonObject { ["id"] = user, ["name"] = user.ToLowerInvariant() },
            ["view"] = new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = "V2",
                ["callback_id"] = "oncall_override",
                ["private_metadata"] = "C-OPS",
                ["state"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["values"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["team"] = Select(team),
                        ["who"] = new System.Text.Json.Nodes.JsonObject { ["value"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "users_select", ["selected_user"] = who } },
                        ["for"] = Select(length),
                    },
                },
            },
        };
        return "payload=" + Uri.EscapeDataString(payload.ToJsonString());
    }

    /// <summary>
    /// <c>/incident oncall override</c> with nothing after it opens a form for a member of a team (their teams, themselves
    /// at first, 4 hours); its submission puts the person chosen on call for the team from now, as the typed command, and
    /// says so to the person where they typed. Someone in no team gets the command's usage, no form; a submission the
    /// command refuses (the team is not theirs) stays open saying why, nothing taken.
    /// </summary>
    [Fact]
    public async Task OncallOverrideWithNothingElse_OpensTheForm_WhoseSubmissionPutsThePersonChosenOnCall()
    {
        await using var fake = await FakeSlack.StartAsync();
        var settings = new Dictionary<string, string?>(NetworkTeam) { ["Teams:network:Members:1:Id"] = "U1", ["Teams:network:Members:1:Name"] = "alice", ["Teams:db:Members:0:Id"] = "U9" };
        await using var bot = await StartAsync(fake, settings);

        var opened = await SignedAsync(bot, "/slack/commands", "command=%2Fincident&text=oncall+override&user_id=U1&user_name=alice&channel_id=C-OPS&team_id=T1&trigger_id=1.2.3");
        Assert.Contains("Fill in the form to take an on-call shift", await opened.Content.ReadAsStringAsync());
        var view = Assert.Single(fake.CallsTo("views.open")).Args["view"]!;
        Assert.Equal(("oncall_override", "C-OPS"), (view["callback_id"]!.ToString(), view["private_metadata"]!.ToString()));
        Assert.Contains("\"initial_user\":\"U1\"", view.ToJsonString());
        Assert.Contains("\"value\":\"network\"", view.ToJsonString());
        Assert.DoesNotContain("\"value\":\"db\"", view.ToJsonString()); // not alice's team

        var refused = await SignedAsync(bot, "/slack/interactions", OverrideSubmission("U1", "db", "U1", "8h"));
        var errors = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Only a member of db may change who is on call for it.", errors.GetProperty("errors").GetProperty("team").GetString());
        var missing = await SignedAsync(bot, "/slack/interactions", OverrideSubmission("U1", "network", null, "8h"));
        Assert.Equal("Choose who is on call.", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetProperty("who").GetString());

        var submitted = await SignedAsync(bot, "/slack/interactions", OverrideSubmission("U1", "network", "U1", "8h"));
        Assert.Equal("", await submitted.Content.ReadAsStringAsync()); // the modal closes
        var confirmed = Assert.Single(fake.CallsTo("chat.postEphemeral"));
        Assert.Equal(("C-OPS", "U1"), (confirmed.Args["channel"]!.ToString(), confirmed.Args["user"]!.ToString()));
        Assert.StartsWith("<@U1> is on call for network from now until", confirmed.Args["text"]!.ToString());
        var now = await bot.Client.PostAsync("/api/commands", System.Net.Http.Json.JsonContent.Create(new { user = "U0BOB", userName = "bob", text = "oncall network" }));
        Assert.Contains("network: @U1 (override) until", await now.Content.ReadAsStringAsync());

        var nobodysTeam = await SignedAsync(bot, "/slack/commands", "command=%2Fincident&text=oncall+override&user_id=U7&user_name=gus&channel_id=C-OPS&team_id=T1&trigger_id=4.5.6");
        Assert.Contains("Write oncall override @user", await nobodysTeam.Content.ReadAsStringAsync());
        Assert.Single(fake.CallsTo("views.open"));
    }

    /// <summary>
    /// The Home tab, opened, shows the person how they are paged and who is on call (the commands' answers); its button
    /// sends them a test page, as <c>/incident notify test</c>, and the tab shows its answer. The Messages tab publishes nothing.
    /// </summary>
    [Fact]
    public async Task TheHomeTab_ShowsThePersonsPagesAndWhoIsOnCall_AndItsButtonSendsThemATestPage()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake, NetworkTeam);
        foreach (var (id, tab) in new[] { ("Ev0MSG", "messages"), ("Ev0HOME", "home") })
        {
            var opened = JsonSerializer.Serialize(new { type = "event_callback", team_id = "T1", event_id = id, @event = new { type = "app_home_opened", user = "U0BOB", channel = "D0BOB", tab, event_ts = "1700000000.000100" } });
            Assert.True((await SignedAsync(bot, "/slack/events", opened, "application/json")).IsSuccessStatusCode);
        }

        var published = await EventuallyAsync(() => fake.CallsTo("views.publish"), p => p.Count == 1, "the Home tab");
        Assert.Equal("U0BOB", published[0].Args["user_id"]!.ToString());
        var view = published[0].Args["view"]!;
        var shown = view.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Equal("home", view["type"]!.ToString());
        Assert.Contains("You are paged by: chat; for SEV1 and SEV2: chat.", shown);
        Assert.Contains("network: <@U0BOB> until", shown);
        Assert.Contains("\"action_id\":\"home_test_page\"", shown);

        var pressed = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "block_actions",
            ["user"] = new System.Text.Json.Nodes.JsonObject { ["id"] = "U0BOB", ["name"] = "bob" },
            ["view"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "home" },
            ["actions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["action_id"] = "home_test_page", ["value"] = "test", ["type"] = "button" }),
        };
        Assert.True((await SignedAsync(bot, "/slack/interactions", "payload=" + Uri.EscapeDataString(pressed.ToJsonString()))).IsSuccessStatusCode);

        var again = await EventuallyAsync(() => fake.CallsTo("views.publish"), p => p.Count == 2, "the Home tab with the button's answer");
        Assert.Contains("Sending you a test page", again[1].Args["view"]!.ToJsonString());
        await EventuallyAsync(
            () => fake.CallsTo("chat.postMessage"), p => p.Any(c => c.Args["channel"]!.ToString() == "U0BOB" && c.Args.ToJsonString().Contains("Test page from the incident bot", StringComparison.Ordinal)), "the test page's DM");
    }

    /// <summary>
    /// The Home tab's "Change how I am paged" opens a form showing the rules as they are; its submission is
    /// <c>/incident notify</c> for each field given: a rule the person has no address for stays in the form saying so,
    /// nothing saved; good rules are saved and the tab shows them.
    /// </summary>
    [Fact]
    public async Task TheHomeTabsRulesForm_SavesTheRulesGiven_AndRefusesOneWithoutAnAddress()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake, new Dictionary<string, string?>(NetworkTeam) { ["People:U0BOB:Phone"] = "+15005550006" });
        var pressed = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "block_actions",
            ["trigger_id"] = "7.8.9",
            ["user"] = new System.Text.Json.Nodes.JsonObject { ["id"] = "U0BOB", ["name"] = "bob" },
            ["actions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["action_id"] = "home_rules", ["value"] = "home_rules", ["type"] = "button" }),
        };
        await SignedAsync(bot, "/slack/interactions", "payload=" + Uri.EscapeDataString(pressed.ToJsonString()));
        var form = (await EventuallyAsync(() => fake.CallsTo("views.open"), o => o.Count == 1, "the rules form"))[0];
        Assert.Equal("7.8.9", form.Args["trigger_id"]!.ToString());
        Assert.Equal("notify_rules", form.Args["view"]!["callback_id"]!.ToString());
        Assert.Contains("You are paged by: chat", form.Args["view"]!.ToJsonString());

        string Submitted(string everyday, string important) => "payload=" + Uri.EscapeDataString(new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "view_submission",
            ["user"] = new System.Text.Json.Nodes.JsonObject { ["id"] = "U0BOB", ["name"] = "bob" },
            ["view"] = new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = "V3",
                ["callback_id"] = "notify_rules",
                ["state"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["values"] = new System.Text.Json.Nodes.JsonObject
                    {
                        ["everyday"] = new System.Text.Json.Nodes.JsonObject { ["value"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "plain_text_input", ["value"] = everyday } },
                        ["important"] = new System.Text.Json.Nodes.JsonObject { ["value"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "plain_text_input", ["value"] = important } },
                    },
                },
            },
        }.ToJsonString());

        var refused = await SignedAsync(bot, "/slack/interactions", Submitted("chat, email 5m", ""));
        Assert.StartsWith("The bot has no email for you", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").GetProperty("everyday").GetString());
        var saved = await SignedAsync(bot, "/slack/interactions", Submitted("chat, sms 2m", "chat, sms"));
        Assert.Equal("", await saved.Content.ReadAsStringAsync()); // the form closes

        var tab = await EventuallyAsync(() => fake.CallsTo("views.publish"), p => p.Count == 1, "the Home tab with the new rules");
        Assert.Contains("You are paged by: chat, sms 2m; for SEV1 and SEV2: chat, sms.", tab[0].Args["view"]!.ToJsonString());
    }

    [Fact]
    public async Task ViewsOpenAnsweredWithoutTheViewsId_StillSaysFillInTheForm()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.ViewsOpenWithoutId = true;
        await using var bot = await StartAsync(fake, NetworkTeam);

        var opened = await SignedAsync(bot, "/slack/commands", "command=%2Fincident&text=declare&user_id=U1&user_name=alice&channel_id=C-GENERAL&team_id=T1&trigger_id=1.2.3");

        Assert.Equal(System.Net.HttpStatusCode.OK, opened.StatusCode); // it was a 500, after the form had opened
        Assert.Contains("Fill in the form", await opened.Content.ReadAsStringAsync());
        Assert.Single(fake.CallsTo("views.open"));
    }

    [Theory]
    [InlineData("U1", "  ", "title", "Say what is happening.")]
    [InlineData("U2", "Checkout errors", "title", "Only responders (the people and groups of Incidents:Responders, and the members of team network) may declare")]
    public async Task DeclareForm_ARefusedSubmission_StaysOpenSayingWhy_AndDeclaresNothing(string user, string title, string block, string why)
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake, new Dictionary<string, string?>(NetworkTeam) { ["Incidents:Responders:0"] = "U1" });

        var submitted = await SignedAsync(bot, "/slack/interactions", Submission(user, title, "SEV1", null));

        var answer = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("errors", answer.GetProperty("response_action").GetString());
        Assert.StartsWith(why, answer.GetProperty("errors").GetProperty(block).GetString());
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
    }

    [Fact]
    public async Task AlertText_CannotNotifyAnyoneInSlack_OnlyTheBotsPagingMentionsDo()
    {
        await using var fake = await FakeSlack.StartAsync();
        var settings = new Dictionary<string, string?>(NetworkTeam) { ["Routes:Routes:0:Match:0"] = "team=network", ["Routes:Routes:0:Policies:0"] = "network", ["EscalationPolicies:network:Steps:0:Targets:0"] = "oncall:network", ["EscalationPolicies:network:Steps:0:Wait"] = "5m" };
        await using var bot = await StartAsync(fake, settings);

        var title = "DDoS <!channel> <!here> <@U0EVE> <!subteam^S0ALL> <#C0SECRET|secret>";
        await bot.PostWebhookAsync("generic", JsonSerializer.Serialize(new { title, severity = "critical", labels = new { team = "network" } }));

        await EventuallyAsync(() => fake.CallsTo("chat.postMessage"), p => p.Count >= 4, "summary, announcement, page and mention");
        var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var sent = fake.CallsTo("chat.postMessage").Select(c => c.Args["text"] + "\n" + c.Args["blocks"]?.ToJsonString(relaxed)).ToList();
        Assert.All(sent, text =>
        {
            foreach (var live in new[] { "<!channel>", "<!here>", "<@U0EVE>", "<!subteam^S0ALL>", "<#C0SECRET" })
            {
                Assert.DoesNotContain(live, text);
            }
        });
        Assert.Contains(sent, t => t.Contains("&lt;!channel&gt;", StringComparison.Ordinal)); // shown as typed
        Assert.Contains(sent, t => t.Contains(":pager: <@U0BOB> paged for INC-1", StringComparison.Ordinal)); // the bot's own mention notifies
    }

    /// <summary>INC-1 from Alertmanager's webhook, and its channel's id once the bot has recorded it as the incident's.</summary>
    private static async Task<string> IncidentChannelAsync(FakeSlack fake, BotServer bot)
    {
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));
        await EventuallyAsync(() => fake.CallsTo("conversations.setTopic"), t => t.Count == 1, "the channel");
        var channel = fake.CallsTo("conversations.setTopic").Single().Args["channel"]!.ToString();
        // The topic is set before the channel is recorded as the incident's: a command sent between them is "not an
        // incident channel". Wait for the record, as a person could only type once the channel was announced.
        await BotServer.EventuallyAsync(
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("channel").GetString(), c => c is not null,
            TimeSpan.FromSeconds(10), "the channel recorded as INC-1's"); // its name and id are recorded together
        return channel;
    }

    [Fact]
    public async Task SlashCommandReply_QuotingAPerson_CannotPingTheChannel()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake);
        var channel = await IncidentChannelAsync(fake, bot);

        var response = await SignedAsync(bot, "/slack/commands", $"command=%2Fincident&text={Uri.EscapeDataString("title DDoS <!channel>")}&user_id=U3&user_name=carol&channel_id={channel}&team_id=T1&response_url={Uri.EscapeDataString(fake.ResponseUrl)}");

        var immediate = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.DoesNotContain("<!channel>", immediate["text"]!.ToString());
        var answer = immediate["text"]!.ToString().StartsWith("Working on", StringComparison.Ordinal) // slower than the ack budget, on a loaded machine
            ? await EventuallyAsync(() => fake.Responses.FirstOrDefault(), r => r is not null, "the answer through response_url")
            : immediate;
        Assert.Equal("in_channel", answer!["response_type"]!.ToString());
        Assert.Contains("DDoS @channel", answer["text"]!.ToString()); // Slack's @channel typed in the command: text, not a ping
        Assert.DoesNotContain("<!channel>", answer["text"]!.ToString());
        Assert.Contains("DDoS @channel", (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("title").GetString());
    }

    /// <summary>
    /// A command's text as Slack sends it (escaped: <c>&amp;lt;</c>, <c>&lt;@U5|dave&gt;</c>, links, channels and user
    /// groups in angle brackets) goes on the timeline as the person typed it, so that it reads so in the console, the
    /// API and the postmortem, and the bot's own echo pings nobody. It went on as Slack's escaped text.
    /// </summary>
    [Fact]
    public async Task ANoteTypedInSlack_GoesOnTheTimelineAsThePersonTypedIt_NotAsSlacksEscapedText()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake);
        var channel = await IncidentChannelAsync(fake, bot);
        const string typed = "note p99 &lt; 2 s &amp; errors &gt; 5%: asked <@U5|dave> to read <https://runbooks.example/db|the runbook> in <#C9|ops>, cc <!subteam^S1|@db-oncall> <!here>, see <https://grafana.example/d/1>";

        await SignedAsync(bot, "/slack/commands", $"command=%2Fincident&text={Uri.EscapeDataString(typed)}&user_id=U3&user_name=carol&channel_id={channel}&team_id=T1&response_url={Uri.EscapeDataString(fake.ResponseUrl)}");

        var note = await BotServer.EventuallyAsync(
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().FirstOrDefault(e => e.GetProperty("kind").GetString() == "note"),
            e => e.ValueKind == JsonValueKind.Object, TimeSpan.FromSeconds(10), "the note");
        Assert.Equal(
            "p99 < 2 s & errors > 5%: asked @dave to read the runbook (https://runbooks.example/db) in #ops, cc @db-oncall @here, see https://grafana.example/d/1",
            note.GetProperty("text").GetString());
    }

    [Fact]
    public async Task SlashCommand_UpdatesThePinnedSummaryAndTopicInPlace()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake);
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));
        await EventuallyAsync(() => fake.CallsTo("pins.add"), p => p.Count == 1, "the pinned summary");
        var channel = fake.CallsTo("conversations.setTopic").Single().Args["channel"]!.ToString();
        var summaryTs = fake.CallsTo("pins.add").Single().Args["timestamp"]!.ToString();

        var body = $"command=%2Fincident&text={Uri.EscapeDataString("lead <@U3|carol>")}&user_id=U3&user_name=carol&channel_id={channel}&team_id=T1&response_url=x";
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add(SlackSignature.TimestampHeader, ts);
        request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
        Assert.Contains("carol the incident lead", await (await bot.Client.SendAsync(request)).Content.ReadAsStringAsync());

        var update = await EventuallyAsync(() => fake.CallsTo("chat.update").FirstOrDefault(), u => u is not null, "the summary update");
        Assert.Equal(summaryTs, update!.Args["ts"]!.ToString());
        var lead = (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("timeline").EnumerateArray().Last(e => e.GetProperty("authorId").GetString() == "U3");
        Assert.Equal("name-of-U3", lead.GetProperty("author").GetString()); // the display name from users.info, not the handle
        Assert.Equal(channel, update.Args["channel"]!.ToString());
        Assert.Contains("carol", update.Args["blocks"]!.ToJsonString());
        await EventuallyAsync(() => fake.CallsTo("conversations.setTopic"), t => t.Count == 2, "the new topic");
        Assert.Contains("lead: carol", fake.CallsTo("conversations.setTopic")[1].Args["topic"]!.ToString());
        Assert.Single(fake.CallsTo("chat.update"));
    }

    [Fact]
    public async Task SlackDownForAWhile_LosesNothing_DuplicatesNothing()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("conversations.create", 500, times: 3); // 3 outbox tries (a create is not retried in place: Slack may have made it)
        await using var bot = await StartAsync(fake);

        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));

        await EventuallyAsync(() => fake.CallsTo("pins.add"), p => p.Count == 1, "the pinned summary after Slack came back");
        await EventuallyAsync(() => fake.CallsTo("chat.postMessage"), p => p.Count == 2, "summary and announcement");
        await bot.WaitForQuietOutboxAsync(); // any further try would be due within its retry delay (at most 1 s here)
        Assert.Equal(4, fake.CallsTo("conversations.create").Count); // 3 failures, then the one that worked
        Assert.Single(fake.ChannelsMadeByTheBot);
        Assert.Equal(2, fake.CallsTo("chat.postMessage").Count);
        Assert.Single(fake.CallsTo("conversations.setTopic"));
    }

    [Fact]
    public async Task SlackPostedButItsAnswersWereLost_TheOutboxRetriesFindTheMessages_NothingIsPostedTwice()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailAfterDoing("chat.postMessage", 502, times: 2); // the summary and the announcement both reach Slack, unanswered
        await using var bot = await StartAsync(fake);

        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));

        await EventuallyAsync(() => fake.CallsTo("pins.add"), p => p.Count == 1, "the summary pinned by the retry");
        await EventuallyAsync(() => fake.CallsTo("conversations.history"), h => h.Count >= 2, "both retries looking first");
        await bot.WaitForQuietOutboxAsync();
        Assert.Equal(2, fake.Posted.Count); // one summary, one announcement
        Assert.Equal(2, fake.Posted.Select(p => p.Key).Distinct().Count());
        Assert.Equal(2, fake.CallsTo("chat.postMessage").Count);
    }

    [Fact]
    public async Task RestartWhileSlackIsDown_TheNewProcessFinishesTheJobs_Once()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("conversations.create", 500, times: 1000);
        string folder;
        await using (var first = await StartAsync(fake))
        {
            first.KeepFolder = true;
            folder = first.Folder;
            await first.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));
            await EventuallyAsync(() => fake.CallsTo("conversations.create"), c => c.Count >= 4, "failing calls before the restart");
        }

        var failed = fake.CallsTo("conversations.create").Count;
        await using var fresh = await FakeSlack.StartAsync(); // Slack is back (a clean stand-in at a new address)
        await using var second = await StartAsync(fresh, folder: folder);

        await EventuallyAsync(() => fresh.CallsTo("pins.add"), p => p.Count == 1, "the summary after the restart");
        await EventuallyAsync(() => fresh.CallsTo("chat.postMessage"), p => p.Count == 2, "summary and announcement");
        await second.WaitForQuietOutboxAsync();
        Assert.True(failed >= 4);
        Assert.Single(fresh.CallsTo("conversations.create"));
        Assert.Equal(2, fresh.CallsTo("chat.postMessage").Count);
        Assert.Equal(1, (await second.GetJsonAsync("/api/incidents")).GetArrayLength());
    }

    [Fact]
    public async Task Responders_AsAUserGroup_AdmitItsMembersOnly()
    {
        await using var fake = await FakeSlack.StartAsync(); // usergroups.users.list answers U1 and U2
        await using var bot = await StartAsync(fake, new() { ["Incidents:Responders:0"] = "S0ONCALL" });

        async Task<string> DeclareAsync(string user)
        {
            var body = $"command=%2Fincident&text={Uri.EscapeDataString("declare Group check")}&user_id={user}&user_name={user}&channel_id=CGEN&team_id=T1&response_url=x";
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var request = new HttpRequestMessage(HttpMethod.Post, "/slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Headers.Add(SlackSignature.TimestampHeader, ts);
            request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
            return await (await bot.Client.SendAsync(request)).Content.ReadAsStringAsync();
        }

        Assert.Contains("may declare (setting Incidents:Permissions:declare)", await DeclareAsync("U9"));
        Assert.Contains("Declared INC-1", await DeclareAsync("U2"));
        Assert.Equal("S0ONCALL", fake.CallsTo("usergroups.users.list").First().Args["usergroup"]!.ToString());
    }

    [Fact]
    public async Task PermanentSlackError_IsReportedOnceOnTheTimeline_NotRetried()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithError("conversations.create", "restricted_action");
        await using var bot = await StartAsync(fake);

        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));

        var details = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("timeline").EnumerateArray().Any(e => e.GetProperty("kind").GetString() == "effect_failed"),
            TimeSpan.FromSeconds(15),
            "the failure on the timeline"); // told in the unit that marked the job failed for good: it runs no more
        Assert.Single(fake.CallsTo("conversations.create"));
        Assert.Contains(
            "Could not create the incident channel: Slack conversations.create: restricted_action",
            details.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task PushpinReaction_AddsTheMessageToTheTimeline_WithItsAuthorAndTime_Once()
    {
        await using var fake = await FakeSlack.StartAsync();
        await using var bot = await StartAsync(fake);
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));
        var channel = await EventuallyAsync(() => fake.CallsTo("conversations.create").FirstOrDefault(), c => c is not null, "the channel");
        await EventuallyAsync(() => fake.CallsTo("pins.add"), p => p.Count == 1, "the summary");
        var channelId = (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("channel").GetString();
        Assert.NotNull(channelId);
        var id = fake.CallsTo("conversations.setTopic").Single().Args["channel"]!.ToString();
        fake.History[(id, "1691233200.000100")] = ("U5", "Network logs show unusual traffic patterns &amp; <@U7> sees them too");

        var body = JsonSerializer.Serialize(new
        {
            type = "event_callback",
            team_id = "T1",
            event_id = "Ev0PIN",
            @event = new { type = "reaction_added", user = "U6", reaction = "pushpin", item_user = "U5", item = new { type = "message", channel = id, ts = "1691233200.000100" }, event_ts = "1691233300.000200" },
        });
        for (var i = 0; i < 2; i++) // Slack delivers at least once: the second is a retry of the same event_id
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var request = new HttpRequestMessage(HttpMethod.Post, "/slack/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(SlackSignature.TimestampHeader, ts);
            request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
            if (i > 0)
            {
                request.Headers.Add("X-Slack-Retry-Num", "1");
                request.Headers.Add("X-Slack-Retry-Reason", "http_timeout");
            }

            Assert.True((await bot.Client.SendAsync(request)).IsSuccessStatusCode);
        }

        // Both deliveries are answered once the event is stored; the second, with the same event_id, stored nothing.
        var details = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("timeline").EnumerateArray().Any(e => e.GetProperty("kind").GetString() == "note"),
            TimeSpan.FromSeconds(10),
            "the pinned message on the timeline");
        Assert.Single(fake.CallsTo("conversations.history")); // the event was handled once, not twice and merged
        var note = Assert.Single(details.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "note");
        Assert.Equal("Network logs show unusual traffic patterns & @name-of-U7 sees them too", note.GetProperty("text").GetString()); // as read in Slack
        Assert.Equal("U5", note.GetProperty("authorId").GetString());
        Assert.Equal("name-of-U5", note.GetProperty("author").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1691233200), note.GetProperty("at").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
    }
}
