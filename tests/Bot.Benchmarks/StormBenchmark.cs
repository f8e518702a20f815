using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bot.Slack.Signing;
using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// An alert storm: one alert group, each webhook bringing 5 new alerts (storm.lua), at 50 connections, against the bot
/// and, in the same run and alternately, against a real Alertmanager taking the same alerts on its API v2. Then the
/// storm goes on against the bot until its one incident holds <c>--alerts</c> alerts (a million by default), while
/// signed <c>/incident note</c> commands are timed (10 a second) and the incident's page is read every 2 s.
/// </summary>
internal static class StormBenchmark
{
    private const string Secret = "bench-signing-secret";

    /// <summary>The time the bot's runtime paused its threads for collections, as its <c>/metrics</c> says.</summary>
    private const string GcPauses = "dotnet_gc_pause_time_seconds_total";

    private static Task<double> FullCollectionsAsync(HttpClient http) => IngestBenchmark.MetricAsync(http, "dotnet_gc_collections_total", "gen2");

    /// <summary>A histogram of the bot's so far (of the series whose labels hold a text): how many, their time, how many took longer than each bound.</summary>
    private sealed record Timings(double Count, double Seconds, double Over25, double Over100, double Over250)
    {
        public Timings Since(Timings before) =>
            new(Count - before.Count, Seconds - before.Seconds, Over25 - before.Over25, Over100 - before.Over100, Over250 - before.Over250);

        public override string ToString() => $"{Count:0} times, {Seconds * 1000:0} ms in all; over 25 ms {Over25:0}, over 100 ms {Over100:0}, over 250 ms {Over250:0}";
    }

    private static async Task<Timings> TimingsAsync(HttpClient http, string name, string label = "")
    {
        var count = await IngestBenchmark.MetricAsync(http, name + "_count", label);
        async Task<double> Over(string bound) => count - await IngestBenchmark.MetricAsync(http, name + "_bucket", $"{label}{(label.Length > 0 ? "," : "")}le=\"{bound}\"");
        return new(count, await IngestBenchmark.MetricAsync(http, name + "_sum", label), await Over("0.025"), await Over("0.1"), await Over("0.25"));
    }

    /// <summary>
    /// The store's log flushes (the fsyncs each webhook's 200 waits for), the writer's own checkpoints (every write waits
    /// for them) and the background loop's (beside the writes; their syncs share the disk with the flushes).
    /// </summary>
    private const string LogFlushes = "incidentbot_store_log_flush_duration_seconds";

    private static async Task<(Timings Flushes, Timings WriterCheckpoints, Timings Checkpoints)> StoreTimingsAsync(HttpClient http) =>
        (await TimingsAsync(http, LogFlushes),
         await TimingsAsync(http, "incidentbot_store_checkpoint_duration_seconds", "by=\"writer\""),
         await TimingsAsync(http, "incidentbot_store_checkpoint_duration_seconds", "by=\"background\""));

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = IngestBenchmark.Option(args, "--seconds", 10);
        var warmup = IngestBenchmark.Option(args, "--warmup", 20);
        var rounds = IngestBenchmark.Option(args, "--rounds", 2);
        var target = IngestBenchmark.Option(args, "--alerts", 1_000_000);
        // --postgres: the bot on a PostgreSQL of its own (durable, as IngestBenchmark's), not SQLite
        var postgres = args.Contains("--postgres") ? PostgresServer.Start(durable: true) : null;
        string[] store = postgres is null ? [] : ["--Storage:Provider=Postgres", $"--Storage:ConnectionString={postgres.CreateSchema()}"];
        string[] settings = [$"--Slack:SigningSecret={Secret}", .. store, .. IngestBenchmark.BotSettings(args)];
        if (!File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine("wrk is needed: apt-get install wrk");
            return 2;
        }

        Console.WriteLine($"Alert storm: 1 alert group, {IngestBenchmark.AlertsPerWebhook} new alerts per webhook, 50 connections; {warmup} s warm-up each, {seconds} s per run");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; bot settings: {string.Join(" ", settings.Skip(1).DefaultIfEmpty("defaults"))}");
        // --replica-cpus N: the bot and Alertmanager each in a control group of its own with N cores' quota (the same CPU
        // for both, as on nodes of their own), wrk (and PostgreSQL) having the rest
        // (--replica-pinned: each also kept on CPU 0, or 0-N, as a container given a cpuset is; they take turns)
        using var botCap = CpuCap.For($"bot-bench-{Environment.ProcessId}-storm", IngestBenchmark.ReplicaCores(args), IngestBenchmark.FirstCpu(args, 0));
        using var peerCap = IngestBenchmark.PeerCap(args);
        await using var alertmanager = await IngestBenchmark.StartPeerAsync(peerCap);
        await using var bot = await IngestBenchmark.StartReplicaAsync(botCap, settings);
        if (botCap is not null)
        {
            Console.WriteLine($"the bot capped at {botCap.Cores} cores (a CPU quota of its own){IngestBenchmark.OnCpus(botCap)}");
        }

        using var http = new HttpClient { BaseAddress = bot.Address, Timeout = TimeSpan.FromSeconds(60) };

        await IngestBenchmark.WrkAsync(bot.Address, 50, warmup, "storm.lua");
        await IngestBenchmark.WrkAsync(alertmanager.Address, 50, warmup, "storm.lua", "alertmanager");
        // Each round's order is the last one's swapped (IngestBenchmark.InTurnAsync): the machine's speed drifts by the
        // minute, and whoever runs second in every round takes the drift alone.
        var ratios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            async Task<IngestBenchmark.Result> Bot()
            {
                var (cpu, peer) = (bot.CpuTime, alertmanager.CpuTime);
                var (allocated, paused, full) = (await IngestBenchmark.AllocatedBytesAsync(http), await IngestBenchmark.MetricAsync(http, GcPauses), await FullCollectionsAsync(http));
                var (store, stolen) = (await StoreTimingsAsync(http), IngestBenchmark.MachineStolen());
                var b = await IngestBenchmark.WrkAsync(bot.Address, 50, seconds, "storm.lua");
                Print($"bot          round {round}", b, bot.CpuTime - cpu, seconds, alertmanager.CpuTime - peer);
                Console.WriteLine(
                    $"bot          round {round}: {(await IngestBenchmark.AllocatedBytesAsync(http) - allocated) / (b.Rate * seconds):0} bytes allocated a webhook, " +
                    $"{(await IngestBenchmark.MetricAsync(http, GcPauses) - paused) * 1000:0} ms paused for collections, {await FullCollectionsAsync(http) - full:0} of them full (the runtime's own counts)");
                var after = await StoreTimingsAsync(http);
                Console.WriteLine(
                    $"bot          round {round}: the log flushed {after.Flushes.Since(store.Flushes)}; the writer checkpointed {after.WriterCheckpoints.Since(store.WriterCheckpoints)}; " +
                    $"the background loop {after.Checkpoints.Since(store.Checkpoints)}; " +
                    $"the hypervisor took {(IngestBenchmark.MachineStolen() - stolen).TotalMilliseconds:0} ms of the CPUs");
                return b;
            }

            async Task<IngestBenchmark.Result> Alertmanager()
            {
                var (cpu, peer) = (alertmanager.CpuTime, bot.CpuTime);
                var a = await IngestBenchmark.WrkAsync(alertmanager.Address, 50, seconds, "storm.lua", "alertmanager");
                Print($"Alertmanager round {round}", a, alertmanager.CpuTime - cpu, seconds, bot.CpuTime - peer);
                return a;
            }

            var (botRun, peerRun) = await IngestBenchmark.InTurnAsync(round, Bot, Alertmanager);
            ratios.Add(botRun.Rate / peerRun.Rate);
            Console.WriteLine($"round {round} ({IngestBenchmark.TurnOrder(round)}): the bot {ratios[^1]:0.00}x Alertmanager");
        }

        if (rounds > 1)
        {
            Console.WriteLine($"the bot against Alertmanager over {rounds} rounds: {IngestBenchmark.Median(ratios)}");
        }

        Console.WriteLine($"peak RSS: bot {bot.PeakMemoryMiB:0} MiB, Alertmanager {alertmanager.PeakMemoryMiB:0} MiB");

        // Alertmanager's part is done: ended now, so that it does not sit beside the bot's continued storm with its heap of
        // 2.5-3 GB (and whatever its runtime does with it after a storm) while the notes and pages are timed.
        await alertmanager.DisposeAsync();
        var channel = await ChannelAsync(http);
        await IngestBenchmark.SettleAsync(); // the continued runs on a quiet machine too, not in what Alertmanager's end leaves

        Console.WriteLine($"The storm goes on to {target:N0} alerts in INC-1 (two runs at least); /incident note 10 a second, the incident's page every 2 s");
        using var stop = new CancellationTokenSource();
        var commands = TimeCommandsAsync(http, channel, stop.Token);
        var pages = new List<double>();
        var pageTimer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                pages.Add(await TimePageAsync(http));
                await Task.Delay(2000, CancellationToken.None);
            }
        });
        var alerts = await AlertCountAsync(http);
        var started = Stopwatch.StartNew();
        // At least two runs, so that the notes and pages are measured during a storm even when the rounds took INC-1
        // past the target already (they take it past a million on a fast day).
        for (var run = 0; alerts < target || run < 2; run++)
        {
            var flushes = await TimingsAsync(http, LogFlushes);
            var r = await IngestBenchmark.WrkAsync(bot.Address, 50, seconds, "storm.lua");
            alerts = await AlertCountAsync(http);
            Console.WriteLine(
                $"alerts in INC-1={alerts,9:N0}  webhooks/s={r.Rate,7:0}  p99={r.P99,7:0.00} ms  non-2xx={r.Errors}  RSS={bot.MemoryMiB:0} MiB (peak {bot.PeakMemoryMiB:0})  " +
                $"page: last {(pages.Count > 0 ? pages[^1] : 0):0.0} ms; the log flushed {(await TimingsAsync(http, LogFlushes)).Since(flushes)}");
        }

        await stop.CancelAsync();
        var latencies = await commands;
        await pageTimer;
        var idle = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            idle.Add(await TimePageAsync(http));
        }

        var slowest = latencies.OrderByDescending(l => l.Ms).Take(8).OrderBy(l => l.At).ToList();
        var noteTimes = latencies.Select(l => l.Ms).Order().ToList();
        pages.Sort();
        idle.Sort();
        Console.WriteLine($"reached {alerts:N0} alerts in {started.Elapsed.TotalSeconds:0} s; peak RSS of the bot {bot.PeakMemoryMiB:0} MiB, now {bot.MemoryMiB:0} MiB");
        Console.WriteLine($"/incident note during it: commands={noteTimes.Count}  p50={P(noteTimes, 0.5):0.0} ms  p99={P(noteTimes, 0.99):0.0} ms  max={noteTimes[^1]:0.0} ms");
        // When the slowest were sent (UTC), to set beside the database's log (PG_SETTINGS="log_checkpoints=on ...").
        Console.WriteLine($"the slowest notes: {string.Join(", ", slowest.Select(l => $"{l.At:HH:mm:ss.f} {l.Ms:0} ms"))}");
        Console.WriteLine($"GET /api/incidents/INC-1 during it: p50={P(pages, 0.5):0.0} ms  max={pages[^1]:0.0} ms; idle at the end: median {P(idle, 0.5):0.0} ms");
        return 0;
    }

    /// <summary>
    /// Prints a run, with the CPU time the server used per webhook (steadier than the rate on a machine whose speed
    /// varies) and the other server's meanwhile (<paramref name="peer"/>: idle, it should use none; what it uses the
    /// run's server cannot).
    /// </summary>
    private static void Print(string what, IngestBenchmark.Result r, TimeSpan cpu, int seconds, TimeSpan peer) => Console.WriteLine(
        $"{what}: webhooks/s={r.Rate,7:0}  alerts/s={r.Rate * IngestBenchmark.AlertsPerWebhook,7:0}  p50={r.P50,6:0.00} ms  p90={r.P90,6:0.00} ms  p99={r.P99,6:0.00} ms  " +
        $"non-2xx={r.Errors}  CPU/webhook={cpu.TotalMicroseconds / (r.Rate * seconds),4:0} µs ({cpu.TotalSeconds / seconds:0.00} cores; the other server meanwhile {peer.TotalSeconds / seconds:0.00})");

    private static double P(List<double> sorted, double q) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    private static async Task<string> ChannelAsync(HttpClient http)
    {
        while (true)
        {
            var details = JsonDocument.Parse(await http.GetStringAsync("api/incidents/INC-1?alerts=0")).RootElement;
            if (details.GetProperty("incident").GetProperty("channel").GetString() is { } channel)
            {
                return channel;
            }

            await Task.Delay(100);
        }
    }

    private static async Task<long> AlertCountAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("api/incidents/INC-1?alerts=0")).RootElement.GetProperty("incident").GetProperty("alertCount").GetInt64();

    /// <summary>Reads the incident's page as the console would (its default answer), in milliseconds.</summary>
    private static async Task<double> TimePageAsync(HttpClient http)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync("api/incidents/INC-1");
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static async Task<List<(DateTimeOffset At, double Ms)>> TimeCommandsAsync(HttpClient http, string channel, CancellationToken stop)
    {
        var latencies = new List<(DateTimeOffset At, double Ms)>();
        var watch = Stopwatch.StartNew();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var body = $"command=%2Fincident&text={Uri.EscapeDataString($"note storm note {i}")}&user_id=U1&user_name=bench&channel_id={channel}&team_id=T1";
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "slack/commands") { Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded") };
            request.Headers.Add(SlackSignature.TimestampHeader, ts);
            request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(Secret, ts, Encoding.UTF8.GetBytes(body)));
            var (at, start) = (DateTimeOffset.UtcNow, Stopwatch.GetTimestamp());
            using var response = await http.SendAsync(request, CancellationToken.None);
            var answer = await response.Content.ReadAsStringAsync(CancellationToken.None);
            latencies.Add((at, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            if (!response.IsSuccessStatusCode || !answer.Contains("storm note", StringComparison.Ordinal))
            {
                Console.WriteLine($"a command failed: HTTP {(int)response.StatusCode}: {answer}");
            }

            var next = TimeSpan.FromMilliseconds(100 * (i + 1)) - watch.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, CancellationToken.None);
            }
        }

        return latencies;
    }
}
