using System.Diagnostics;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Storage;
using Bot.Storage.Sqlite;
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
        var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), args.Contains("--routes") ? new Escalator(Options.Create(RoutedToNetwork)) : null);
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

    /// <summary>What <c>--routes</c> sets up for the bot's process (<see cref="IngestBenchmark.BotSettings"/>): every alert routed to the network team's policy.</summary>
    private static readonly EscalationOptions RoutedToNetwork = new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase) { ["network"] = new TeamOptions { Members = [new MemberOptions { Id = "U0000000BOB" }] } },
        EscalationPolicies = new(StringComparer.OrdinalIgnoreCase) { ["network"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["team:network"], Wait = "15m" }] } },
        Routes = new RouteOptions { Policies = ["network"] },
    };
}
