using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bot.Slack.Signing;

using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// Slash-command acknowledgement latency while the bot ingests an alert storm: wrk posts Alertmanager webhooks at
/// 50 connections (as in the ingest benchmark) while signed <c>/incident note</c> commands (writes through the same
/// single writer) are sent 20 times a second and timed until their answer. Slack allows 3,000 ms.
/// </summary>
internal static class SlashCommandBenchmark
{
    private const string Secret = "bench-signing-secret";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = 15;
        // --text: another command to time instead (e.g. "help", which touches no store), to tell the store's share
        var text = IngestBenchmark.OptionText(args, "--text");
        await using var bot = await BotProcess.StartAsync($"--Slack:SigningSecret={Secret}");
        using var http = new HttpClient { BaseAddress = bot.Address };
        var declared = await http.PostAsJsonAsync("api/commands", new { user = "U1", userName = "bench", text = "declare Benchmark incident" });
        declared.EnsureSuccessStatusCode();
        string? channel = null;
        while (channel is null)
        {
            await Task.Delay(100);
            var details = JsonDocument.Parse(await http.GetStringAsync("api/incidents/INC-1")).RootElement;
            channel = details.GetProperty("incident").GetProperty("channel").GetString();
        }

        Console.WriteLine($"Slash-command ack latency under an alert storm (wrk, 50 connections), {seconds} s, 20 commands/s");
        await IngestBenchmark.WrkAsync(bot, 50, 15); // warm-up
        var storm = IngestBenchmark.WrkAsync(bot, 50, seconds + 2);
        var latencies = new List<double>();
        var failures = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; watch.Elapsed < TimeSpan.FromSeconds(seconds); i++)
        {
            var body = $"command=%2Fincident&text={Uri.EscapeDataString(text ?? $"note benchmark note {i}")}&user_id=U1&user_name=bench&channel_id={channel}&team_id=T1";
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Headers.Add(SlackSignature.TimestampHeader, ts);
            request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            var answer = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || (text is null && !answer.Contains("benchmark note", StringComparison.Ordinal)))
            {
                if (failures++ == 0)
                {
                    Console.WriteLine($"first failed command: HTTP {(int)response.StatusCode}: {answer}");
                }
            }

            var next = TimeSpan.FromMilliseconds(50 * (i + 1)) - watch.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next);
            }
        }

        var storming = await storm;
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        Console.WriteLine($"commands={latencies.Count}  p50={P(0.5):0.0} ms  p99={P(0.99):0.0} ms  max={latencies[^1]:0.0} ms  failed={failures}  (storm meanwhile: {storming.Rate:0} webhooks/s)");
        return 0;
    }
}
