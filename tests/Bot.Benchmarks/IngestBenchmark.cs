using System.Diagnostics;
using System.Net;
using System.Text;

namespace Bot.Benchmarks;

/// <summary>
/// Durable webhook ingest: Alertmanager payloads of 5 alerts with new fingerprints, posted by concurrent senders
/// over loopback; each answer comes only after the alerts are committed. Prints throughput, latency
/// percentiles, the bot's peak memory and its start-to-ready time.
/// </summary>
internal static class IngestBenchmark
{
    public const int AlertsPerWebhook = 5;
    private const int Groups = 100;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var connectionSets = (OptionText(args, "--connections") ?? "4,50").Split(',').Select(int.Parse).ToArray();

        Console.WriteLine($"Durable webhook ingest: {AlertsPerWebhook} alerts per webhook, new fingerprints, {Groups} alert groups, {seconds} s per run");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        foreach (var connections in connectionSets)
        {
            await using var bot = await BotProcess.StartAsync();
            Console.WriteLine($"start to /readyz: {bot.StartToReady.TotalMilliseconds:0} ms");
            await LoadAsync(bot, connections, TimeSpan.FromSeconds(2), record: false);
            var result = await LoadAsync(bot, connections, TimeSpan.FromSeconds(seconds), record: true);
            Console.WriteLine(
                $"connections={connections,3}  webhooks/s={result.Rate,8:0}  alerts/s={result.Rate * AlertsPerWebhook,8:0}  " +
                $"p50={result.P(0.50),6:0.0} ms  p99={result.P(0.99),6:0.0} ms  max={result.P(1),7:0.0} ms  errors={result.Errors}  " +
                $"peak RSS={bot.PeakMemoryMiB:0} MiB");
        }

        return 0;
    }

    private static async Task<Result> LoadAsync(BotProcess bot, int connections, TimeSpan duration, bool record)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, UseProxy = false })
        {
            BaseAddress = bot.Address,
            Timeout = TimeSpan.FromSeconds(30),
        };
        var latencies = new List<double>[connections];
        var errors = 0;
        var stop = Stopwatch.StartNew();
        var sequence = (long)(record ? 1_000_000_000 : 0) + Random.Shared.Next(1_000_000) * 1000L;
        var workers = Enumerable.Range(0, connections).Select(async w =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            while (stop.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref sequence);
                using var content = new ByteArrayContent(Payload(n));
                content.Headers.ContentType = new("application/json");
                var start = Stopwatch.GetTimestamp();
                using var response = await client.PostAsync("webhooks/alertmanager", content);
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                }

                mine.Add(ms);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Result(all.Length / elapsed, all, errors);
    }

    public static byte[] Payload(long n)
    {
        var group = n % Groups;
        var sb = new StringBuilder(2048);
        sb.Append("{\"receiver\":\"bot\",\"status\":\"firing\",\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"Load")
          .Append(group).Append("\\\"}\",\"externalURL\":\"http://127.0.0.1:9093\",\"truncatedAlerts\":0,")
          .Append("\"groupLabels\":{\"alertname\":\"Load").Append(group).Append("\"},\"commonLabels\":{},\"commonAnnotations\":{},\"alerts\":[");
        for (var i = 0; i < AlertsPerWebhook; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append("{\"status\":\"firing\",\"labels\":{\"alertname\":\"Load").Append(group)
              .Append("\",\"instance\":\"host-").Append(n).Append('-').Append(i)
              .Append("\",\"severity\":\"warning\",\"team\":\"network\"},\"annotations\":{\"summary\":\"load test alert\"},")
              .Append("\"startsAt\":\"2026-11-24T00:45:43.209Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prometheus/graph\",")
              .Append("\"fingerprint\":\"").Append((n * AlertsPerWebhook + i).ToString("x16")).Append("\"}");
        }

        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }

    private static int Option(string[] args, string name, int fallback) => OptionText(args, name) is { } v ? int.Parse(v) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed record Result(double Rate, double[] Sorted, int Errors)
    {
        public double P(double q) => Sorted.Length == 0 ? double.NaN : Sorted[Math.Min(Sorted.Length - 1, (int)Math.Ceiling(q * Sorted.Length) - 1)];
    }
}
