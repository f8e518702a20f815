using System.Diagnostics;
using Bot.Core.Commands;
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
        // The database (a few GB for a storm of a million alerts) goes with the run.
        var folder = Path.Combine(Path.GetTempPath(), "bot-bench", Guid.NewGuid().ToString("n"));
        try
        {
            return await RunInAsync(args, folder);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task<int> RunInAsync(string[] args, string folder)
    {
        var count = IngestBenchmark.Option(args, "--webhooks", 20_000);
        var storm = args.Contains("--storm"); // one alert group, as the storm benchmark: one incident takes every alert
        // --postgres: the PostgreSQL store on a durable server of its own (fsync on), with no HTTP or load generator
        // beside it: the store's and the database's CPU a webhook, less noisy than ingest-postgres for small changes.
        var server = args.Contains("--postgres") ? Bot.Tests.Shared.PostgresServer.Start(durable: true) : null; // stopped as the process exits
        await using Bot.Storage.Sql.SqlIncidentStore store = server is null
            ? SqliteIncidentStore.Open(new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") }, TimeProvider.System, NullLogger.Instance)
            : Bot.Storage.Postgres.PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema() }, TimeProvider.System, NullLogger.Instance);
        // Paging as the bot's settings on the command line give it (--routes among them), bound as the bot binds them.
        var paging = new ConfigurationBuilder().AddCommandLine(IngestBenchmark.BotSettings(args)).Build().Get<EscalationOptions>() ?? new EscalationOptions();
        var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), new Escalator(Options.Create(paging)));
        Console.WriteLine($"{(server is null ? "SQLite" : "PostgreSQL")} store in process, {(storm ? "1 alert group" : "100 alert groups")}; every alert routed to: {string.Join(", ", paging.Routes.Policies.DefaultIfEmpty("no policy"))}");
        var parser = new AlertmanagerParser();
        if (IngestBenchmark.Option(args, "--whole-group", 0) is > 0 and var whole)
        {
            return await WholeGroupAsync((SqliteIncidentStore)store, intake, parser.Parse(IngestBenchmark.Payload(0, groups: 1, alerts: whole), "alertmanager", DateTimeOffset.UtcNow), count);
        }

        // --notes: a person's "/incident note" on INC-1 every 100 ms of the measured half, through the commands' own path
        // (a unit of work that goes first), each timed from call to commit: the store's share of a storm's note latency.
        var commands = args.Contains("--notes")
            ? new IncidentCommands(store, store, new IncidentRules(Options.Create(new IncidentOptions())), TimeProvider.System)
            : null;
        var batches = Enumerable.Range(0, count).Select(n => parser.Parse(IngestBenchmark.Payload(n, groups: storm ? 1 : 100), "alertmanager", DateTimeOffset.UtcNow)).ToArray();

        foreach (var phase in new[] { "warm-up", "measured" })
        {
            var offset = phase == "warm-up" ? 0 : count / 2;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var database = server is null ? TimeSpan.Zero : IngestBenchmark.PostgresCpu(server);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var written = BytesWritten();
            var watch = Stopwatch.StartNew();
            var tasks = new List<Task>(count / 2);
            using var stopNotes = new CancellationTokenSource();
            var notes = commands is not null && phase == "measured" ? NotesAsync(commands, stopNotes.Token) : Task.FromResult(new List<double>());
            for (var i = 0; i < count / 2; i++)
            {
                var batch = batches[offset + i];
                tasks.Add(store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!)); // to its group's writer, as the bot sends it
                if (tasks.Count >= 64)
                {
                    await Task.WhenAll(tasks);
                    tasks.Clear();
                }
            }

            await Task.WhenAll(tasks);
            await stopNotes.CancelAsync();
            var noteTimes = (await notes).Order().ToArray();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            database = server is null ? TimeSpan.Zero : IngestBenchmark.PostgresCpu(server) - database;
            Console.WriteLine(
                $"{phase}: {count / 2 / watch.Elapsed.TotalSeconds:0} webhooks/s in process ({IngestBenchmark.AlertsPerWebhook} alerts each), " +
                $"CPU/webhook {cpu.TotalMicroseconds / (count / 2):0} µs ({cpu / watch.Elapsed:0.00} cores)" +
                (server is null ? ", " : $", PostgreSQL {database.TotalMicroseconds / (count / 2):0} µs ({database / watch.Elapsed:0.00} cores), ") +
                $"{(GC.GetTotalAllocatedBytes(precise: true) - allocated) / (count / 2):0} bytes allocated a webhook, " +
                $"{(BytesWritten() - written) / 1024.0 / (count / 2):0.0} KB written a webhook (WAL and checkpoints)");
            if (noteTimes.Length > 0)
            {
                Console.WriteLine(
                    $"/incident note meanwhile: {noteTimes.Length} notes, p50={noteTimes[noteTimes.Length / 2]:0.0} ms " +
                    $"p99={noteTimes[(int)(noteTimes.Length * 0.99)]:0.0} ms max={noteTimes[^1]:0.0} ms");
            }
        }

        return 0;
    }

    private static async Task<List<double>> NotesAsync(IncidentCommands commands, CancellationToken stop)
    {
        var times = new List<double>();
        var person = new CommandContext(new Actor("U0000ALICE", "alice"), 1);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await tick.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
        {
            var watch = Stopwatch.StartNew();
            await commands.ExecuteAsync($"note mitigation {times.Count} applied", person);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return times;
    }

    /// <summary>What the process has handed to write calls so far (Linux's <c>/proc/self/io</c>, <c>wchar</c>): the WAL's frames and the checkpoints' copies.</summary>
    private static long BytesWritten() =>
        File.ReadLines("/proc/self/io").Where(l => l.StartsWith("wchar:", StringComparison.Ordinal)).Select(l => long.Parse(l[6..])).First();

    /// <summary>
    /// Alertmanager's way: each webhook of a group carries every alert of the group (once per <c>group_interval</c>), so
    /// a big group's alerts come again and again unchanged. The first webhook opens the incident with them all; then
    /// <paramref name="count"/> more of the same, half of them to warm up.
    /// </summary>
    private static async Task<int> WholeGroupAsync(SqliteIncidentStore store, AlertIntake intake, AlertBatch batch, int count)
    {
        var alerts = batch.Alerts.Count;
        Console.WriteLine($"whole group: one group of {alerts} alerts, every webhook all of them (as Alertmanager sends a group)");
        var watch = Stopwatch.StartNew();
        await store.WriteAsync(s => intake.Ingest(s, batch));
        Console.WriteLine($"first webhook (all new): {watch.Elapsed.TotalMilliseconds:0} ms");
        foreach (var phase in new[] { "warm-up", "measured" })
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            watch.Restart();
            for (var i = 0; i < count / 2; i++)
            {
                var report = await store.WriteAsync(s => intake.Ingest(s, batch));
                if (report.UnchangedAlerts != alerts)
                {
                    throw new InvalidOperationException($"{report.UnchangedAlerts} of {alerts} alerts unchanged.");
                }
            }

            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var n = count / 2;
            Console.WriteLine(
                $"{phase}: unchanged again, {watch.Elapsed.TotalMilliseconds / n:0.0} ms a webhook, CPU {cpu.TotalMicroseconds / n / alerts:0.00} µs " +
                $"and {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / n / alerts:0} bytes allocated an alert");
        }

        return 0;
    }
}
