using System.Net;
using System.Text.Json;

namespace Bot.Acceptance.Tests.Webhooks;

/// <summary>
/// Heartbeats over real HTTP: <c>POST /heartbeats/{name}</c> with its token, and a real Alertmanager sending its
/// always-firing Watchdog on a short repeat interval, then stopped.
/// </summary>
public sealed class HeartbeatEndpointTests
{
    private const string Token = "heartbeat-secret-0123456789";
    private const string AlertmanagerToken = "e2e-secret-token-0123456789";

    private static async Task<int> IncidentCountAsync(BotServer bot) => (await bot.GetJsonAsync("/api/incidents")).GetArrayLength();

    private static Task<HttpResponseMessage> BeatAsync(BotServer bot, string name, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/heartbeats/{name}");
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return bot.Client.SendAsync(request);
    }

    [Fact]
    public async Task PostingABeat_NeedsTheHeartbeatsToken_AndAKnownName()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Heartbeats:nightly-backup:Interval"] = "1d",
            ["Heartbeats:nightly-backup:Token"] = Token,
        });

        var none = await BeatAsync(bot, "nightly-backup", null);
        var wrong = await BeatAsync(bot, "nightly-backup", "not-the-token-0123456789");
        var unknown = await BeatAsync(bot, "no-such-beat", Token);
        var ok = await BeatAsync(bot, "nightly-backup", Token);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nightly-backup", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(0, await IncidentCountAsync(bot));
    }

    [Fact]
    public async Task ABadHeartbeatSetting_StopsTheStart_NamingItsKey()
    {
        var (code, _, stderr) = await BotAppTests.RunBotAsync("--Heartbeats:watchdog:Interval=often", "--Heartbeats:watchdog:Match:0=alertname==");

        Assert.Equal(2, code);
        Assert.Contains("Heartbeats:watchdog:Interval 'often' must be a duration", stderr);
    }

    [Fact]
    public async Task RealAlertmanagersWatchdog_KeepsTheHeartbeatAlive_AndItsSilenceOpensAnIncident()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Webhooks:Sources:alertmanager:Token"] = AlertmanagerToken,
            ["Heartbeats:watchdog:Interval"] = "4s",
            ["Heartbeats:watchdog:Grace"] = "2s",
            ["Heartbeats:watchdog:Match:0"] = "alertname=Watchdog",
            ["Heartbeats:watchdog:Labels:severity"] = "critical",
            ["Heartbeats:watchdog:Title"] = "Alertmanager stopped sending its Watchdog",
        });
        var am = await AlertmanagerProcess.StartAsync(new Uri(bot.Address, "/webhooks/alertmanager"), AlertmanagerToken, repeatInterval: "1s");
        try
        {
            // As Prometheus's always-firing rule: a Watchdog alert that does not end.
            await am.PostAlertsAsync(JsonSerializer.Serialize(new[]
            {
                new Dictionary<string, object>
                {
                    ["labels"] = new Dictionary<string, string> { ["alertname"] = "Watchdog", ["severity"] = "none" },
                    ["annotations"] = new Dictionary<string, string> { ["summary"] = "The alerting pipeline works" },
                    ["startsAt"] = DateTimeOffset.UtcNow.ToString("O"),
                    ["endsAt"] = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
                },
            }));

            // Beats keep coming for three times the interval and its grace: no incident, and the Watchdog is none.
            await BotServer.EventuallyAsync(
                async () => await BeatsAsync(bot), n => n >= 5, TimeSpan.FromSeconds(30), "five Watchdog webhooks; alertmanager said: " + am.Output);
            Assert.Equal(0, await IncidentCountAsync(bot));
        }
        finally
        {
            await am.DisposeAsync(); // Alertmanager goes away
        }

        var incidents = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents"), d => d.GetArrayLength() == 1, TimeSpan.FromSeconds(20), "the missed heartbeat's incident");
        Assert.Equal("HeartbeatMissed: Alertmanager stopped sending its Watchdog", incidents[0].GetProperty("title").GetString());
        Assert.Equal("SEV1", incidents[0].GetProperty("severity").GetString());
        Assert.Equal("heartbeat", incidents[0].GetProperty("source").GetString());

        // The sender beats again (here by hand): the incident resolves.
        Assert.Equal(HttpStatusCode.OK, (await BeatAsync(bot, "watchdog", null)).StatusCode); // no token: this machine may
        await BotServer.EventuallyAsync(
            async () => (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("status").GetString(),
            s => s == "resolved", TimeSpan.FromSeconds(10), "the incident resolved by the beat");
    }

    /// <summary>How many Watchdog webhooks the bot took (from its metrics: the beats counter).</summary>
    private static async Task<double> BeatsAsync(BotServer bot)
    {
        var metrics = await bot.Client.GetStringAsync("/metrics");
        return metrics.Split('\n').Where(l => l.StartsWith("incidentbot_heartbeats_total{", StringComparison.Ordinal) && l.Contains("heartbeat=\"watchdog\""))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Sum();
    }
}
