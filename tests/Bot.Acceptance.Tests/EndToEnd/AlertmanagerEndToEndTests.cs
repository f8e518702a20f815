using System.Text.Json;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>A real Alertmanager posts to the running bot with a bearer token.</summary>
public class AlertmanagerEndToEndTests
{
    private const string Token = "e2e-secret-token-0123456789";

    private static string Alerts(DateTimeOffset startsAt, DateTimeOffset? endsAt) => JsonSerializer.Serialize(
        new[] { "db-1", "db-2" }.Select(instance => new Dictionary<string, object>
        {
            ["labels"] = new Dictionary<string, string> { ["alertname"] = "DatabaseDown", ["service"] = "payments", ["instance"] = instance, ["severity"] = "critical" },
            ["annotations"] = new Dictionary<string, string> { ["summary"] = $"Database {instance} is down" },
            ["startsAt"] = startsAt.ToString("O"),
            ["endsAt"] = (endsAt ?? startsAt.AddHours(1)).ToString("O"),
            ["generatorURL"] = "http://prometheus.example.com/graph",
        }));

    [Fact]
    public async Task RealAlertmanager_FiresThenResolves_OneIncidentWithBothAlerts()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:Token"] = Token });
        await using var am = await AlertmanagerProcess.StartAsync(new Uri(bot.Address, "/webhooks/alertmanager"), Token);
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(-5);

        await am.PostAlertsAsync(Alerts(startsAt, null));
        var fired = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : default),
            d => d.ValueKind == JsonValueKind.Object && d.GetProperty("alerts").GetArrayLength() == 2,
            TimeSpan.FromSeconds(20),
            "an incident with both alerts; alertmanager said: " + am.Output);

        Assert.Equal("SEV1", fired.GetProperty("incident").GetProperty("severity").GetString());
        Assert.Equal("alertmanager", fired.GetProperty("incident").GetProperty("source").GetString());

        await am.PostAlertsAsync(Alerts(startsAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        var resolved = await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("alerts").EnumerateArray().All(a => a.GetProperty("status").GetString() == "resolved"),
            TimeSpan.FromSeconds(20),
            "both alerts resolved; alertmanager said: " + am.Output);

        var resolutions = resolved.GetProperty("timeline").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "alert_resolved").Select(e => e.GetProperty("text").GetString()!).ToList();
        Assert.Contains("DatabaseDown", string.Join(" ", resolutions));
        Assert.Equal(2, resolutions.Sum(t => t.StartsWith("2 alerts", StringComparison.Ordinal) ? 2 : 1));
        Assert.Equal(1, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
        Assert.Equal("triggered", resolved.GetProperty("incident").GetProperty("status").GetString());
    }

    [Fact]
    public async Task RealAlertmanager_WrongToken_IsRefused_AndRetriedNotStored()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Webhooks:Sources:alertmanager:Token"] = Token });
        await using var am = await AlertmanagerProcess.StartAsync(new Uri(bot.Address, "/webhooks/alertmanager"), "not-the-right-token");

        await am.PostAlertsAsync(Alerts(DateTimeOffset.UtcNow.AddSeconds(-5), null));
        var metrics = await BotServer.EventuallyAsync(
            () => am.Client.GetStringAsync("metrics"),
            m => m.Split('\n').Any(l => l.StartsWith("alertmanager_notifications_failed_total{integration=\"webhook\"", StringComparison.Ordinal) && !l.EndsWith(" 0")),
            TimeSpan.FromSeconds(20),
            "a failed webhook notification");

        Assert.NotEmpty(metrics);
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
    }
}
