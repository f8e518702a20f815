using System.Diagnostics;
using System.Net;
using OpenTelemetry.Trace;

namespace Bot.Acceptance.Tests.Telemetry;

/// <summary>
/// One trace from a webhook to the Slack calls it caused: the request, its unit of work, each outbox job it enqueued
/// (run later by the outbox, from the trace context stored on the job's row) and each job's HTTP calls.
/// </summary>
public sealed class TraceTests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task AWebhooksTrace_ContinuesIntoTheJobsItEnqueued_AndTheirSlackCalls()
    {
        var spans = new List<Activity>();
        await using var slack = await FakeSlack.StartAsync();
        await using var bot = await BotServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Slack:BotToken"] = FakeSlack.Token,
                ["Slack:SigningSecret"] = Secret,
                ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl.ToString(),
                ["Slack:IncidentsChannel"] = "C0INCIDENTS",
            },
            configure: b => b.Services.AddOpenTelemetry().WithTracing(t => t.AddSource("IncidentBot", "Microsoft.AspNetCore", "System.Net.Http").AddInMemoryExporter(spans)));
        var trace = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/generic")
        {
            Content = new StringContent("""{"title":"Checkout down","severity":"critical"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01"); // as a traced sender would

        Assert.Equal(HttpStatusCode.OK, (await bot.Client.SendAsync(request)).StatusCode);

        List<Activity> Ours()
        {
            lock (spans)
            {
                return spans.Where(s => s.TraceId == trace).ToList();
            }
        }

        var ours = await BotServer.EventuallyAsync(
            () => Task.FromResult(Ours()),
            list => list.Any(s => s.DisplayName == "job chat.post_summary") && list.Any(s => s.Kind == ActivityKind.Client && s.DisplayName.StartsWith("POST", StringComparison.Ordinal)
                && list.Any(j => j.SpanId == s.ParentSpanId && j.DisplayName == "job chat.post_summary")),
            TimeSpan.FromSeconds(20),
            "the summary job and its Slack call in the webhook's trace");

        var unit = Assert.Single(ours, s => s.DisplayName == "store.write" && ours.Any(j => j.DisplayName.StartsWith("job ", StringComparison.Ordinal) && j.ParentSpanId == s.SpanId));
        var jobs = ours.Where(s => s.DisplayName.StartsWith("job ", StringComparison.Ordinal)).ToList();
        Assert.Contains(jobs, j => j.DisplayName == "job chat.open_channel");
        Assert.All(jobs.Where(j => j.DisplayName is "job chat.open_channel" or "job chat.post_summary" or "job chat.announce"), j => Assert.Equal(unit.SpanId, j.ParentSpanId));
        Assert.Equal("chat.post_summary", jobs.First(j => j.DisplayName == "job chat.post_summary").GetTagItem("job.kind"));
        Assert.Equal("done", jobs.First(j => j.DisplayName == "job chat.post_summary").GetTagItem("job.outcome"));
        var calls = ours.Where(s => s.Kind == ActivityKind.Client && jobs.Any(j => j.SpanId == s.ParentSpanId)).ToList();
        Assert.Contains(calls, c => (c.GetTagItem("url.full") as string ?? "").Contains("conversations.create", StringComparison.Ordinal));
    }
}
