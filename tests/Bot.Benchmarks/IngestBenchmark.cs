using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// Durable webhook ingest over loopback: Alertmanager payloads of 5 alerts with new fingerprints (ingest.lua),
/// sent by wrk (a C load generator, so that the client does not eat the 2 cores) to the bot running as its own
/// process; every answer comes only after the alerts are committed. Prints throughput, latency percentiles,
/// the bot's peak memory and its start-to-ready time.
/// </summary>
internal static partial class IngestBenchmark
{
    public const int AlertsPerWebhook = 5;

    private static int _run = (int)(DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 1_000_000) * 1000; // new alerts in every wrk run, and in every benchmark run

    /// <summary>
    /// <c>--hashed-fingerprints</c>: fingerprints spread as Alertmanager's are (a 64-bit hash of the labels, so random hex),
    /// not in the order the benchmark makes them, which puts each alert at the end of its incident's range of the
    /// alerts' key and hides what a random key costs the store.
    /// </summary>
    public static bool HashedFingerprints { get; set; }

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var warmup = Option(args, "--warmup", 20);
        var connectionSets = (OptionText(args, "--connections") ?? "50,4").Split(',').Select(int.Parse).ToArray();
        var settings = BotSettings(args);
        if (ReplicaCores(args) is not null || args.Contains("--replica-pinned"))
        {
            Console.Error.WriteLine("--replica-cpus and --replica-pinned cap PostgreSQL's replicas (and Alertmanager with them): use them with ingest-postgres or storm");
            return 2;
        }

        if (!File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine("wrk is needed: apt-get install wrk");
            return 2;
        }

        Console.WriteLine($"Durable webhook ingest: {AlertsPerWebhook} alerts per webhook, new fingerprints, 100 alert groups; {warmup} s warm-up, {seconds} s per run");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; bot settings: {(settings.Length == 0 ? "defaults" : string.Join(" ", settings))}");
        await using var bot = await BotProcess.StartAsync(settings);
        Console.WriteLine($"start to /readyz: {bot.StartToReady.TotalMilliseconds:0} ms");
        await WrkAsync(bot, 50, warmup);
        var at50 = (double?)null;
        foreach (var connections in connectionSets)
        {
            var r = await WrkAsync(bot, connections, seconds);
            at50 = connections == 50 ? r.Rate : at50;
            Console.WriteLine(
                $"connections={connections,3}  webhooks/s={r.Rate,7:0}  alerts/s={r.Rate * AlertsPerWebhook,7:0}  " +
                $"p50={r.P50,7:0.00} ms  p90={r.P90,7:0.00} ms  p99={r.P99,7:0.00} ms  non-2xx={r.Errors}");
        }

        Console.WriteLine($"peak RSS of the bot: {bot.PeakMemoryMiB:0} MiB");
        await PeerAsync(args, "ingest.lua", warmup, seconds, ("the bot at 50 connections", at50));
        return 0;
    }

    /// <summary>
    /// The peer, unless <c>--no-alertmanager</c>: Alertmanager 0.25 (Debian's, silent: no receiver; grouping by
    /// alertname and service, so the script's groups are its groups) taking the same alerts on its API v2, as Prometheus
    /// sends them, in the same run after the bot's (which then idles): warmed up for as long (20 s at most: it has no
    /// JIT), then 50 connections for as long as the bot had. Prints its figures and each bot figure's ratio to its rate.
    /// </summary>
    public static async Task PeerAsync(string[] args, string script, int warmup, int seconds, params (string What, double? Rate)[] bot)
    {
        if (args.Contains("--no-alertmanager"))
        {
            return;
        }

        using var cap = PeerCap(args);
        await using var alertmanager = await StartPeerAsync(cap);
        await WrkAsync(alertmanager.Address, 50, Math.Min(warmup, 20), script, "alertmanager");
        var cpu = alertmanager.CpuTime;
        var r = await WrkAsync(alertmanager.Address, 50, seconds, script, "alertmanager");
        Console.WriteLine(
            $"Alertmanager, the same alerts on /api/v2/alerts, connections= 50  webhooks/s={r.Rate,7:0}  alerts/s={r.Rate * AlertsPerWebhook,7:0}  " +
            $"p50={r.P50,7:0.00} ms  p90={r.P90,7:0.00} ms  p99={r.P99,7:0.00} ms  non-2xx={r.Errors}  " +
            $"CPU/webhook={(alertmanager.CpuTime - cpu).TotalMicroseconds / (r.Rate * seconds),4:0} µs  peak RSS {alertmanager.PeakMemoryMiB:0} MiB");
        foreach (var (what, rate) in bot.Where(b => b.Rate is not null))
        {
            Console.WriteLine($"{what} / Alertmanager: {rate / r.Rate:0.00}x");
        }
    }

    /// <summary>
    /// <c>--replica-cpus N</c>: Alertmanager in a control group of its own with the same quota as each replica (and Go's
    /// scheduler given as many threads, rounded up), so that the two are compared on the same CPU, PostgreSQL and wrk
    /// having the rest: as a replica and Alertmanager would each run on a node of their own, the database on another.
    /// </summary>
    internal static CpuCap? PeerCap(string[] args) =>
        CpuCap.For($"bot-bench-{Environment.ProcessId}-alertmanager", ReplicaCores(args), FirstCpu(args, 0));

    internal static async Task<AlertmanagerProcess> StartPeerAsync(CpuCap? cap)
    {
        if (cap is null)
        {
            return await AlertmanagerProcess.StartSilentAsync();
        }

        Console.WriteLine($"Alertmanager capped at {cap.Cores} cores as each replica is (GOMAXPROCS={(int)Math.Ceiling(cap.Cores)}){OnCpus(cap)}");
        return await AlertmanagerProcess.StartSilentAsync(cap.Group, (int)Math.Ceiling(cap.Cores));
    }

    internal static double? ReplicaCores(string[] args) =>
        OptionText(args, "--replica-cpus") is { } c ? double.Parse(c, CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// <c>--replica-pinned</c> (with <c>--replica-cpus N</c>): each capped process also kept on whole CPUs of its own, as
    /// many as its quota rounded up, as a container given a cpuset is: the first replica (and Alertmanager, which takes its
    /// turns apart from the bot's) from CPU 0, the second on the next ones; PostgreSQL and wrk on any. Null when not asked.
    /// </summary>
    internal static int? FirstCpu(string[] args, int replica)
    {
        if (!args.Contains("--replica-pinned"))
        {
            return null;
        }

        var cores = ReplicaCores(args) ?? throw new BadOptionsException("--replica-pinned keeps each replica on whole CPUs of its quota: give --replica-cpus N too");
        return replica * (int)Math.Ceiling(cores);
    }

    internal static string OnCpus(CpuCap cap) => cap.Cpus is null ? "" : $", kept on CPU {cap.Cpus}";

    /// <summary>
    /// The same load on two replicas sharing one PostgreSQL (durable: fsync on), as a load balancer would spread it:
    /// one wrk per replica at once, each with half the connections. Rates are summed; the worse replica's latency is shown.
    /// </summary>
    public static async Task<int> RunPostgresAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var warmup = Option(args, "--warmup", 90); // two replicas, PostgreSQL and two wrk on 2 cores starve the JIT's tier-up thread: after 20 s most hot code was still the instrumented tier
        var connectionSets = (OptionText(args, "--connections") ?? "50,4").Split(',').Select(int.Parse).ToArray();
        if (!File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine("wrk is needed: apt-get install wrk");
            return 2;
        }

        // --pg-locale: the database's collation, as production servers are often made (en_US.UTF-8, which the machine
        // must have: localedef -i en_US -f UTF-8 en_US.UTF-8; or icu:en-US); otherwise the environment's (C.UTF-8 here)
        var locale = OptionText(args, "--pg-locale");
        var server = PostgresServer.Start(durable: true, locale: locale);
        var statements = Environment.GetEnvironmentVariable("PG_STATEMENTS") == "1";
        if (statements)
        {
            server.Execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        }

        string[] settings =
        [
            "--Storage:Provider=Postgres", $"--Storage:ConnectionString={server.CreateSchema()}",
            .. BotSettings(args),
        ];
        // --storm: storm.lua, one alert group (every webhook joins one incident, whose row every replica's writer locks)
        var storm = args.Contains("--storm");
        var (script, groups) = storm ? ("storm.lua", 1) : ("ingest.lua", 100);
        Console.WriteLine($"Durable webhook ingest on PostgreSQL (fsync on), two replicas: {AlertsPerWebhook} alerts per webhook, new fingerprints, {groups} alert group{(groups == 1 ? "" : "s")}; {warmup} s warm-up, {seconds} s per run{(locale is null ? "" : $"; database locale {locale}")}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores shared by PostgreSQL, both replicas and both wrk; .NET {Environment.Version}; bot settings: {string.Join(" ", settings.Skip(2).DefaultIfEmpty("defaults"))}");
        // --replica-cpus N: each replica in a control group of its own with N cores' quota, as on a node of its own (a
        // Kubernetes CPU limit): the machine's two cores otherwise go to whichever process asks, so a second replica
        // can only take CPU from the first and from PostgreSQL.
        var cores = ReplicaCores(args);
        if (cores is not null)
        {
            Console.WriteLine($"each replica capped at {cores} cores (a CPU quota of its own{(args.Contains("--replica-pinned") ? ", on CPUs of its own" : "")})");
        }

        using var capA = CpuCap.For($"bot-bench-{Environment.ProcessId}-a", cores, FirstCpu(args, 0));
        await using var a = await StartReplicaAsync(capA, settings);
        if (args.Contains("--one-replica"))
        {
            // One replica alone: quicker to compare two builds back to back, and no idle second process on the cores.
            Console.WriteLine($"start to /readyz: {a.StartToReady.TotalMilliseconds:0} ms");
            // --connections N[,M...]: one run a count (a larger count makes larger write batches: the per-batch cost shows)
            await WrkAsync(a.Address, 50, warmup, script);

            // --restart: the replica killed after its warm-up and started again on the same database, then warmed up
            // again: what it takes with the incidents it did not open (what it knew of them in memory is gone).
            await using var restarted = args.Contains("--restart") ? await RestartAsync(a, capA, settings) : null;
            if (restarted is not null)
            {
                await WrkAsync(restarted.Address, 50, warmup, script);
            }

            // --alternate N: the replica and Alertmanager taking turns, N pairs (each pair's order swapped), so that the
            // machine's drift within minutes falls on both: each pair's ratio and their median.
            if (Option(args, "--alternate", 0) is > 0 and var pairs)
            {
                return await AlternateAsync(restarted ?? a, server, script, warmup, seconds, pairs, groups, args);
            }

            var (code, alone) = (0, 0.0);
            foreach (var connections in OptionText(args, "--connections") is null ? [50] : connectionSets)
            {
                var (failed, rate) = await OneReplicaAsync(restarted ?? a, seconds, server, statements, script, groups, connections);
                (code, alone) = (Math.Max(code, failed), connections == 50 || alone == 0 ? rate : alone);
            }

            await PeerAsync(args, script, warmup, seconds, ("one replica", alone));
            return code;
        }

        using var capB = CpuCap.For($"bot-bench-{Environment.ProcessId}-b", cores, FirstCpu(args, 1));
        await using var b = await StartReplicaAsync(capB, settings);
        Console.WriteLine($"start to /readyz: {a.StartToReady.TotalMilliseconds:0} ms and {b.StartToReady.TotalMilliseconds:0} ms");
        await Task.WhenAll(WrkAsync(a.Address, 25, warmup, script), WrkAsync(b.Address, 25, warmup, script));
        // --partitioned: each replica is sent half of the groups, all of their webhooks (an upper bound: what two replicas
        // take when their writers never wait for each other's locks on an incident).
        var parted = args.Contains("--partitioned");
        var at50 = (double?)null;
        foreach (var connections in connectionSets)
        {
            var (busy, aBefore, bBefore, databaseBefore) = (MachineBusy(), a.CpuTime, b.CpuTime, PostgresCpu(server));
            var both = await Task.WhenAll(
                WrkAsync(a.Address, connections / 2, seconds, script, share: parted ? "0/2" : null),
                WrkAsync(b.Address, connections - connections / 2, seconds, script, share: parted ? "1/2" : null));
            var webhooks = both.Sum(r => r.Rate) * seconds;
            at50 = connections == 50 ? both.Sum(r => r.Rate) : at50;
            Console.WriteLine(
                $"two replicas, connections={connections,3}  webhooks/s={both.Sum(r => r.Rate),7:0}  alerts/s={both.Sum(r => r.Rate) * AlertsPerWebhook,7:0}  " +
                $"p50={both.Max(r => r.P50),7:0.00} ms  p90={both.Max(r => r.P90),7:0.00} ms  p99={both.Max(r => r.P99),7:0.00} ms  non-2xx={both.Sum(r => r.Errors)}  " +
                $"machine CPU/webhook={(MachineBusy() - busy).TotalMicroseconds / webhooks,4:0} µs " +
                $"(the replicas {(a.CpuTime - aBefore + b.CpuTime - bBefore).TotalMicroseconds / webhooks:0}, PostgreSQL {(PostgresCpu(server) - databaseBefore).TotalMicroseconds / webhooks:0})");
        }

        Console.WriteLine($"peak RSS of the replicas: {a.PeakMemoryMiB:0} MiB and {b.PeakMemoryMiB:0} MiB");
        var (result, one) = await OneReplicaAsync(a, seconds, server, statements, script, groups, 50);
        await PeerAsync(args, script, warmup, seconds, ("two replicas at 50 connections", at50), ("one replica", one));
        return result;
    }

    /// <summary>One replica (warmed up) and Alertmanager (warmed up here) taking turns at 50 connections, <paramref name="pairs"/> pairs.</summary>
    private static async Task<int> AlternateAsync(BotProcess bot, PostgresServer server, string script, int warmup, int seconds, int pairs, int groups, string[] args)
    {
        using var cap = PeerCap(args);
        await using var alertmanager = await StartPeerAsync(cap);
        await WrkAsync(alertmanager.Address, 50, Math.Min(warmup, 20), script, "alertmanager");
        var ratios = new List<double>();
        for (var pair = 1; pair <= pairs; pair++)
        {
            // What the other process used during the turn: a turn that shares its cores with the last one's leftovers is slower.
            async Task<(Result Run, double CpuMicroseconds, double OtherCores, long Checkpoints)> RunAsync(bool isBot)
            {
                (TimeSpan Own, TimeSpan Other) Cpu() => isBot ? (bot.CpuTime, alertmanager.CpuTime) : (alertmanager.CpuTime, bot.CpuTime);
                var (before, checkpoints) = (Cpu(), Checkpoints(server));
                var run = isBot ? await WrkAsync(bot.Address, 50, seconds, script) : await WrkAsync(alertmanager.Address, 50, seconds, script, "alertmanager");
                var after = Cpu();
                return (run, (after.Own - before.Own).TotalMicroseconds / (run.Rate * seconds), (after.Other - before.Other).TotalSeconds / seconds,
                    Checkpoints(server) - checkpoints);
            }

            var (b, m) = await InTurnAsync(pair, () => RunAsync(isBot: true), () => RunAsync(isBot: false));
            ratios.Add(b.Run.Rate / m.Run.Rate);
            Console.WriteLine(
                $"pair {pair} ({TurnOrder(pair)}): the bot {b.Run.Rate,6:0}/s p99 {b.Run.P99,6:0.0} ms {b.CpuMicroseconds,4:0} µs a webhook (its own CPU), " +
                $"Alertmanager {m.Run.Rate,6:0}/s p99 {m.Run.P99,6:0.0} ms {m.CpuMicroseconds,4:0} µs: {ratios[^1]:0.00}x" +
                $"  (the other's CPU during the turn {b.OtherCores:0.00} / {m.OtherCores:0.00} cores; checkpoints begun in the bot's {b.Checkpoints})");
        }

        Console.WriteLine($"the bot against Alertmanager over {pairs} pairs: {Median(ratios)}");
        using var http = new HttpClient { BaseAddress = bot.Address };
        return await CheckIncidentsAsync(http, groups);
    }

    /// <summary>
    /// Runs the bot and Alertmanager in turn <paramref name="turn"/>: the bot first in odd turns, Alertmanager in even
    /// ones, so that the machine's drift within minutes falls on both; each on a quiet machine (<see cref="SettleAsync"/>).
    /// Returns the bot's run first.
    /// </summary>
    internal static async Task<(T Bot, T Peer)> InTurnAsync<T>(int turn, Func<Task<T>> bot, Func<Task<T>> peer)
    {
        static async Task<T> Quietly(Func<Task<T>> run)
        {
            await SettleAsync();
            return await run();
        }

        if (turn % 2 == 1)
        {
            var first = await Quietly(bot);
            return (first, await Quietly(peer));
        }

        var theirs = await Quietly(peer);
        return (await Quietly(bot), theirs);
    }

    /// <summary>Who ran first in turn <paramref name="turn"/> (<see cref="InTurnAsync"/>).</summary>
    internal static string TurnOrder(int turn) => turn % 2 == 1 ? "the bot first" : "Alertmanager first";

    /// <summary>The bot's ratios to Alertmanager over turns: their median (the mean of the two middle ones, for an even count) and range.</summary>
    internal static string Median(IReadOnlyList<double> ratios)
    {
        var sorted = ratios.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        return $"median {median:0.00}x ({sorted[0]:0.00}-{sorted[^1]:0.00}x)";
    }

    /// <summary>
    /// Where the database's time went, statement by statement (<c>PG_STATEMENTS=1</c>: the server loaded
    /// <c>pg_stat_statements</c>, and the database has the extension); returns the connection it read them on.
    /// </summary>
    internal static async Task<Npgsql.NpgsqlConnection> PrintStatementsAsync(string connectionString)
    {
        var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var top = new Npgsql.NpgsqlCommand(
            "SELECT calls, round(total_exec_time)::bigint, round(mean_exec_time::numeric, 3), plans, round(total_plan_time)::bigint, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) " +
            "FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 15", connection);
        await using var rows = await top.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            Console.WriteLine($"{rows.GetInt64(0),9} calls {rows.GetInt64(1),7} ms {rows.GetDecimal(2),8} ms/call {rows.GetInt64(3),7} plans {rows.GetInt64(4),6} ms  {rows.GetString(5)}");
        }

        return connection;
    }

    /// <summary>
    /// Prints how many incidents the groups made: every webhook of a group, whichever replica took it, joined the group's
    /// one incident. 0 when so, 1 for a duplicate.
    /// </summary>
    private static async Task<int> CheckIncidentsAsync(HttpClient http, int groups)
    {
        var incidents = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/incidents?limit=500")).RootElement.GetArrayLength();
        Console.WriteLine($"incidents: {incidents} for {groups} alert group{(groups == 1 ? "" : "s")}{(incidents == groups ? "" : "  <-- DUPLICATES")}");
        return incidents == groups ? 0 : 1;
    }

    /// <summary>The bytes the bot's runtime allocated so far, as its <c>/metrics</c> tell: the CPU's figure steadier still.</summary>
    public static Task<double> AllocatedBytesAsync(HttpClient http) => MetricAsync(http, "dotnet_gc_heap_total_allocated_bytes_total");

    /// <summary>A metric of the bot's <c>/metrics</c>, summed over its series (those whose labels hold <paramref name="label"/>: all).</summary>
    public static async Task<double> MetricAsync(HttpClient http, string name, string label = "") =>
        (await http.GetStringAsync("metrics")).Split('\n')
            .Where(l => (l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal)) || (label.Length == 0 && l.StartsWith(name + " ", StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture)); // name{labels} value [time]

    private static async Task<BotProcess> RestartAsync(BotProcess replica, CpuCap? cap, string[] settings)
    {
        await replica.DisposeAsync(); // killed, as a crash or a node's loss would
        var again = await StartReplicaAsync(cap, settings);
        Console.WriteLine($"restarted: start to /readyz {again.StartToReady.TotalMilliseconds:0} ms");
        return again;
    }

    internal static Task<BotProcess> StartReplicaAsync(CpuCap? cap, string[] settings) =>
        cap is null ? BotProcess.StartAsync(settings) : BotProcess.StartInControlGroupAsync(cap.Group, settings);

    /// <summary>
    /// 50 connections on one replica, with its own and PostgreSQL's CPU; then the statements' figures and the incidents'
    /// count. Returns 1 if a group has more than one incident, and the replica's rate.
    /// </summary>
    private static async Task<(int Code, double Rate)> OneReplicaAsync(
        BotProcess a, int seconds, PostgresServer server, bool statements, string script, int groups, int connections)
    {
        if (statements)
        {
            server.Execute("SELECT pg_stat_reset_shared('wal')"); // the WAL this run writes, below
        }

        using var http = new HttpClient { BaseAddress = a.Address };
        var (before, botBefore, databaseBefore, allocated) = (MachineBusy(), a.CpuTime, PostgresCpu(server), await AllocatedBytesAsync(http));
        var (units, batches) = (await MetricAsync(http, "incidentbot_store_batch_size_sum"), await MetricAsync(http, "incidentbot_store_batch_size_count"));
        var checkpoints = Checkpoints(server);
        var one = await WrkAsync(a.Address, connections, seconds, script);
        checkpoints = Checkpoints(server) - checkpoints;
        allocated = await AllocatedBytesAsync(http) - allocated;
        (units, batches) = (await MetricAsync(http, "incidentbot_store_batch_size_sum") - units, await MetricAsync(http, "incidentbot_store_batch_size_count") - batches);
        var webhooks = one.Rate * seconds;
        Console.WriteLine(
            $"one replica,  connections={connections,3}  webhooks/s={one.Rate,7:0}  alerts/s={one.Rate * AlertsPerWebhook,7:0}  " +
            $"p50={one.P50,7:0.00} ms  p90={one.P90,7:0.00} ms  p99={one.P99,7:0.00} ms  non-2xx={one.Errors}  " +
            $"machine CPU/webhook={(MachineBusy() - before).TotalMicroseconds / webhooks,4:0} µs " +
            $"(the bot {(a.CpuTime - botBefore).TotalMicroseconds / webhooks:0}, PostgreSQL {(PostgresCpu(server) - databaseBefore).TotalMicroseconds / webhooks:0})");
        Console.WriteLine(
            $"peak RSS of this replica: {a.PeakMemoryMiB:0} MiB; {allocated / webhooks:0} bytes allocated a webhook (the runtime's own count); " +
            $"{units / Math.Max(1, batches):0.0} units a write batch ({batches:0} batches); checkpoints begun in the run: {checkpoints}");

        if (statements)
        {
            await using var connection = await PrintStatementsAsync(server.ConnectionString);
            await using var wal = new Npgsql.NpgsqlCommand("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal", connection);
            await using (var w = await wal.ExecuteReaderAsync())
            {
                // Full-page images: the first change to a page after a checkpoint logs the whole 8 KB page.
                await w.ReadAsync();
                Console.WriteLine(
                    $"WAL a webhook (the measured run): {w.GetInt64(0) / webhooks:0.0} records, {w.GetInt64(1) / webhooks:0.00} full-page images, " +
                    $"{w.GetDecimal(2) / (decimal)webhooks:0} bytes");
            }

            // Updates that had to write every index of their table (not HOT: no room on the row's page, or an indexed
            // column changed), and the indexes' sizes: an index's every new entry is a descent and a write.
            await using var tables = new Npgsql.NpgsqlCommand(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, (SELECT string_agg(c.relname || ' ' || pg_size_pretty(pg_relation_size(c.oid)), ', ') " +
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = t.relid) FROM pg_stat_user_tables t WHERE n_tup_ins + n_tup_upd > 0 ORDER BY n_tup_ins + n_tup_upd DESC", connection);
            await using (var t = await tables.ExecuteReaderAsync())
            {
                while (await t.ReadAsync())
                {
                    Console.WriteLine($"{t.GetString(0),-16} inserted {t.GetInt64(1),9}  updated {t.GetInt64(2),9} ({t.GetInt64(3)} HOT)  indexes: {(t.IsDBNull(4) ? "" : t.GetString(4))}");
                }
            }

            await using var ends = new Npgsql.NpgsqlCommand(
                "SELECT (SELECT sum(calls) FROM pg_stat_statements WHERE query ILIKE 'commit%'), (SELECT sum(calls) FROM pg_stat_statements WHERE query ILIKE 'rollback%'), " +
                "xact_commit, xact_rollback, deadlocks FROM pg_stat_database WHERE datname = current_database()", connection);
            await using var counts = await ends.ExecuteReaderAsync();
            await counts.ReadAsync();
            Console.WriteLine($"COMMIT statements {counts.GetValue(0)}, ROLLBACK statements {counts.GetValue(1)}; transactions committed {counts.GetInt64(2)}, rolled back {counts.GetInt64(3)}, deadlocks {counts.GetInt64(4)}");
        }

        return (await CheckIncidentsAsync(http, groups), one.Rate);
    }

    public static Task<Result> WrkAsync(BotProcess bot, int connections, int seconds) => WrkAsync(bot.Address, connections, seconds, "ingest.lua");

    /// <summary>Runs wrk with one of the scripts beside the benchmark against <paramref name="address"/>.</summary>
    public static async Task<Result> WrkAsync(Uri address, int connections, int seconds, string script, string? target = null, string? share = null)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true };
        foreach (var a in new[] { "-t2", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", Path.Combine(AppContext.BaseDirectory, script), address.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["BENCH_RUN"] = Interlocked.Increment(ref _run).ToString(CultureInfo.InvariantCulture);
        if (share is not null)
        {
            start.Environment["GROUP_SHARE"] = share;
        }

        if (target is not null)
        {
            start.Environment["BENCH_TARGET"] = target;
        }

        if (HashedFingerprints)
        {
            start.Environment["BENCH_FINGERPRINTS"] = "hashed";
        }

        using var wrk = Process.Start(start)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        return new Result(
            double.Parse(RateLine().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Percentile(output, "50%"),
            Percentile(output, "90%"),
            Percentile(output, "99%"),
            ErrorsLine().Match(output) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>
    /// Waits until the machine is quiet (under a fifth of a core busy over a second: what the last turn left behind, its
    /// outbox's jobs or Alertmanager's collections, done), at most 30 s, and says so when it never was.
    /// </summary>
    internal static async Task SettleAsync()
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var before = MachineBusy();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var busy = (MachineBusy() - before).TotalSeconds;
            if (busy < 0.2)
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
            {
                Console.WriteLine($"(the machine stayed busy for 30 s before this turn: {busy:0.00} cores in the last second)");
                return;
            }
        }
    }

    /// <summary>
    /// The CPU time the whole machine has been busy (/proc/stat: all but idle and I/O wait): PostgreSQL's backends, the
    /// bots and wrk together. Per webhook it is steadier than the rate on a machine whose speed varies by the hour.
    /// </summary>
    public static TimeSpan MachineBusy()
    {
        var ticks = MachineTicks();
        return TimeSpan.FromSeconds((ticks.Sum() - ticks[3] - ticks[4]) / 100.0);
    }

    /// <summary>The time the hypervisor ran others on this machine's CPUs while they had work (steal), so far.</summary>
    public static TimeSpan MachineStolen() => TimeSpan.FromSeconds(MachineTicks()[7] / 100.0);

    private static long[] MachineTicks() => File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();

    /// <summary>
    /// The checkpoints the server has begun so far, timed or asked for (by the WAL's size). A checkpoint's writes share
    /// the disk with the WAL's flushes, one cause of the webhooks' tail (not the only one: docs/benchmarks.md), so each
    /// run says how many began in it. PostgreSQL 17 moved the counts to a view of their own (the connection knows the
    /// server's version: one query).
    /// </summary>
    public static long Checkpoints(PostgresServer server)
    {
        using var connection = new Npgsql.NpgsqlConnection(server.ConnectionString);
        connection.Open();
        using var count = new Npgsql.NpgsqlCommand(
            connection.PostgreSqlVersion.Major >= 17
                ? "SELECT num_timed + num_requested FROM pg_stat_checkpointer"
                : "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter",
            connection);
        return Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The CPU time the benchmark's PostgreSQL (its postmaster and the postmaster's children: backends, writer, WAL) has
    /// used so far, from /proc; not another PostgreSQL on the machine. Zero for a server the benchmark did not start.
    /// </summary>
    public static TimeSpan PostgresCpu(PostgresServer server)
    {
        if (server.ProcessId is not { } postmaster)
        {
            return TimeSpan.Zero;
        }

        var cpu = TimeSpan.Zero;
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(f => f!.All(char.IsAsciiDigit)))
        {
            try
            {
                var id = int.Parse(pid!, CultureInfo.InvariantCulture);
                if (ProcessStat.Read(id) is { Parent: var parent, Cpu: var used } && (id == postmaster || parent == postmaster))
                {
                    cpu += used;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while we looked
            }
        }

        return cpu;
    }

    /// <summary>Reads a wrk latency line such as <c>99%   12.34ms</c>, in milliseconds.</summary>
    private static double Percentile(string output, string label)
    {
        var m = Regex.Match(output, $@"^\s+{Regex.Escape(label)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    /// <summary>
    /// The bot's own settings among the arguments: <c>--Section:Key=value</c> (e.g. <c>--Storage:Synchronous=Normal</c>);
    /// with <c>--routes</c>, paging set up as a team's would be: every alert routes to the network team's policy (each
    /// webhook that joins an incident then asks whether that policy ever ran on it).
    /// </summary>
    internal static string[] BotSettings(string[] args) =>
    [
        .. args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)),
        .. args.Contains("--routes") ? Routes : [],
    ];

    private static readonly string[] Routes =
    [
        "--Teams:network:Members:0:Id=U0000000BOB",
        "--EscalationPolicies:network:Steps:0:Targets:0=team:network",
        "--EscalationPolicies:network:Steps:0:Wait=15m",
        "--Routes:Policies:0=network",
    ];

    /// <summary>The same payload as ingest.lua, for the in-process store benchmark.</summary>
    public static byte[] Payload(long n, int groups = 100, int alerts = AlertsPerWebhook)
    {
        var group = n % groups;
        var sb = new StringBuilder(2048);
        sb.Append("{\"receiver\":\"bot\",\"status\":\"firing\",\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"Load")
          .Append(group).Append("\\\"}\",\"externalURL\":\"http://127.0.0.1:9093\",\"truncatedAlerts\":0,")
          .Append("\"groupLabels\":{},\"commonLabels\":{},\"commonAnnotations\":{},\"alerts\":[");
        for (var i = 0; i < alerts; i++)
        {
            sb.Append(i > 0 ? "," : "")
              .Append("{\"status\":\"firing\",\"labels\":{\"alertname\":\"Load").Append(group)
              .Append("\",\"instance\":\"host-").Append(n).Append('-').Append(i)
              .Append("\",\"severity\":\"warning\",\"team\":\"network\"},\"annotations\":{\"summary\":\"load test alert\"},")
              .Append("\"startsAt\":\"2026-11-24T00:45:43.209Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prometheus/graph\",")
              .Append("\"fingerprint\":\"").Append(Fingerprint(n * alerts + i)).Append("\"}");
        }

        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }

    /// <summary>The <paramref name="n"/>th alert's fingerprint: <paramref name="n"/> in hex, or spread as a hash's.</summary>
    private static string Fingerprint(long n) => HashedFingerprints ? Bot.TestKit.Alerts.HashedFingerprint(n) : n.ToString("x16");

    internal static int Option(string[] args, string name, int fallback) => OptionText(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    internal static string? OptionText(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RateLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex ErrorsLine();

    public sealed record Result(double Rate, double P50, double P90, double P99, int Errors);
}
