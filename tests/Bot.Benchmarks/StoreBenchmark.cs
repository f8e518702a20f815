using System.Diagnostics;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Storage;
using Bot.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bot.Benchmarks;

/// <summary>The grouping stage and the SQLite writer alone, in process: webhooks per second with no HTTP.</summary>
internal static class StoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = IngestBenchmark.Option(args, "--webhooks", 20_000);
        var storm = args.Contains("--storm"); // one alert group, as the storm benchmark: one incident takes every alert
        var folder = Path.Combine(Path.GetTempPath(), "bot-bench", Guid.NewGuid().ToString("n"));
        await using var store = SqliteIncidentStore.Open(new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") }, TimeProvider.System, NullLogger.Instance);
        // Paging as the bot's settings on the command line give it (--routes among them), bound as the bot binds them.
        var paging = new ConfigurationBuilder().AddCommandLine(IngestBenchmark.BotSettings(args)).Build().Get<EscalationOptions>() ?? new EscalationOptions();
        var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), new Escalator(Options.Create(paging)));
        Console.WriteLine($"SQLite store in process, {(storm ? "1 alert group" : "100 alert groups")}; every alert routed to: {string.Join(", ", paging.Routes.Policies.DefaultIfEmpty("no policy"))}");
        var parser = new AlertmanagerParser();
        var batches = Enumerable.Range(0, count).Select(n => parser.Parse(IngestBenchmark.Payload(n, groups: storm ? 1 : 100), "alertmanager", DateTimeOffset.UtcNow)).ToArray();

        foreach (var phase in new[] { "warm-up", "measured" })
        {
            var offset = phase == "warm-up" ? 0 : count / 2;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var tasks = new List<Task>(count / 2);
            for (var i = 0; i < count / 2; i++)
            {
                var batch = batches[offset + i];
                tasks.Add(store.WriteAsync(s => intake.Ingest(s, batch)));
                if (tasks.Count >= 64)
                {
                    await Task.WhenAll(tasks);
                    tasks.Clear();
                }
            }

            await Task.WhenAll(tasks);
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Console.WriteLine(
                $"{phase}: {count / 2 / watch.Elapsed.TotalSeconds:0} webhooks/s in process ({IngestBenchmark.AlertsPerWebhook} alerts each), " +
                $"CPU/webhook {cpu.TotalMicroseconds / (count / 2):0} µs ({cpu / watch.Elapsed:0.00} cores)");
        }

        return 0;
    }
}
