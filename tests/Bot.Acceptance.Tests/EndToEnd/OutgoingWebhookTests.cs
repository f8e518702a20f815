using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>An escalation step's <c>webhook:&lt;name&gt;</c> target, received by a real HTTP server on 127.0.0.1 that checks its signature.</summary>
public sealed class OutgoingWebhookTests
{
    private const string Secret = "receiver-secret-0123456789";

    [Fact]
    public async Task AStepsWebhook_IsSignedAndRetried_UntilTheReceiverTakesIt_WithOneIdempotencyKey()
    {
        var received = new ConcurrentQueue<(string Key, string Body, bool SignatureGood)>();
        var failFirst = 1;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            var timestamp = http.Request.Headers["X-Incident-Bot-Timestamp"].ToString();
            var good = http.Request.Headers["X-Incident-Bot-Signature"].ToString() == "v1=" + Bot.Paging.HttpWebhookSender.Sign(Secret, timestamp, body)
                && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture)) < 300;
            received.Enqueue((http.Request.Headers["Idempotency-Key"].ToString(), body, good));
            return Interlocked.Exchange(ref failFirst, 0) == 1 ? Results.StatusCode(503) : Results.Ok();
        });
        await receiver.StartAsync();
        var url = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/hook";

        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["OutgoingWebhooks:statuspage:Url"] = url,
            ["OutgoingWebhooks:statuspage:Secret"] = Secret,
            ["EscalationPolicies:ops:Steps:0:Targets:0"] = "webhook:statuspage",
            ["EscalationPolicies:ops:Steps:0:Wait"] = "30m",
            ["Routes:Policies:0"] = "ops",
            ["Outbox:RetryBaseDelay"] = "00:00:00.200",
        });

        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("generic", """{"title":"Checkout down","severity":"critical"}""")).StatusCode);
        await BotServer.EventuallyAsync(() => Task.FromResult(received.Count), n => n == 2, TimeSpan.FromSeconds(15), "the webhook, tried twice");
        await bot.WaitForQuietOutboxAsync();

        Assert.Equal(2, received.Count); // refused once (503), taken once: no third call
        Assert.All(received, r => Assert.True(r.SignatureGood));
        Assert.Single(received.Select(r => r.Key).Distinct());
        var payload = JsonDocument.Parse(received.Last().Body).RootElement;
        Assert.Equal("INC-1", payload.GetProperty("incident").GetString());
        Assert.Equal("SEV1", payload.GetProperty("severity").GetString());
        Assert.Equal("ops", payload.GetProperty("policy").GetString());
        Assert.Equal(1, payload.GetProperty("step").GetInt32());
        var timeline = (await bot.GetJsonAsync("/api/incidents/INC-1/timeline")).EnumerateArray().Select(e => e.GetProperty("text").GetString()!);
        Assert.Contains(timeline, t => t.StartsWith("Paged webhook statuspage, step 1 of 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWebhookTargetWithoutItsSettings_StopsTheStart_NamingTheKeys()
    {
        var (code, _, stderr) = await BotAppTests.RunBotAsync(
            "--EscalationPolicies:ops:Steps:0:Targets:0=webhook:nowhere", "--OutgoingWebhooks:short:Url=ftp://x", "--OutgoingWebhooks:short:Secret=abc");

        Assert.Equal(2, code);
        Assert.Contains("EscalationPolicies:ops:Steps:0:Targets:0 'webhook:nowhere' names no webhook in OutgoingWebhooks.", stderr);
        Assert.Contains("OutgoingWebhooks:short:Url must be an http(s) address.", stderr);
        Assert.Contains("OutgoingWebhooks:short:Secret must be at least 16 characters", stderr);
    }
}
