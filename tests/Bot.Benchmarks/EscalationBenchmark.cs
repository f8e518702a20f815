using System.Collections.Concurrent;
using System.Diagnostics;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Intake;
using Bot.Storage;
using Bot.Storage.Postgres;
using Bot.Storage.Sql;
using Bot.Storage.Sqlite;
using Bot.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Bot.Benchmarks;

/// <summary>
/// How late due escalation steps run with 10,000 open escalations in the store: the real SQLite store (or PostgreSQL's,
/// <c>--postgres</c>), dispatcher and step handler, run by the bot's own outbox worker on the wall clock; with
/// <c>--webhooks</c>, while webhooks of 100 alert groups flood the same store's writer (the jobs' claims and completions
/// then share it with their batches). Lateness = when the step handler started minus the step's due time.
/// </summary>
internal static class EscalationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var open = IngestBenchmark.Option(args, "--escalations", 10_000); // a multiple of 1,000
        // Each channel message (a step's invitations and its mention in the channel) takes this long, as with a chat
        // service that answers slowly; the DMs, SMS and e-mails are sent at once.
        var slowChat = TimeSpan.FromMilliseconds(IngestBenchmark.Option(args, "--slow-chat", 0));
        // With --slow-dms, each DM takes as long too (a chat service slow at everything): the SMS and e-mails must not wait for them.
        var slowDms = args.Contains("--slow-dms") ? slowChat : TimeSpan.Zero;
        // Each SMS takes this long (an SMS provider that answers slowly or hangs): the steps and e-mails beside them measured.
        var slowSms = TimeSpan.FromMilliseconds(IngestBenchmark.Option(args, "--slow-sms", 0));
        var spread = TimeSpan.FromSeconds(60);
        var folder = Path.Combine(Path.GetTempPath(), "bot-bench", Guid.NewGuid().ToString("n"));
        // The store's and the outbox's settings as the bot's command line gives them (--Storage:Writers=N,
        // --Outbox:LaneConcurrency:phone=32), bound as the bot binds them.
        var settings = new ConfigurationBuilder().AddCommandLine(IngestBenchmark.BotSettings(args)).Build();
        var storage = settings.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var server = args.Contains("--postgres") ? PostgresServer.Start(durable: true) : null; // stopped as the process exits
        var statements = server is not null && Environment.GetEnvironmentVariable("PG_STATEMENTS") == "1";
        if (statements)
        {
            server!.Execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        }
        await using SqlIncidentStore store = server is null
            ? SqliteIncidentStore.Open(new StorageOptions { SqlitePath = Path.Combine(folder, "bot.db") }, TimeProvider.System, NullLogger.Instance)
            : PostgresIncidentStore.Open(
                new StorageOptions { Provider = "Postgres", ConnectionString = server.CreateSchema(), Writers = storage.Writers }, TimeProvider.System, NullLogger.Instance);
        var config = new EscalationOptions
        {
            Teams = new() { ["t"] = new TeamOptions { Members = [new MemberOptions { Id = "U1" }, new MemberOptions { Id = "U2" }], Rotation = new RotationOptions { Members = ["U1", "U2"] } } },
            EscalationPolicies = new() { ["p"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["oncall:t"], Wait = "1h" }, new StepOptions { Targets = ["team:t"], Wait = "1h" }] } },
            // Personal rules in play: each page is a DM at once, then an SMS and an e-mail as jobs of their own.
            People = new()
            {
                ["U1"] = new PersonOptions { Phone = "+15551230001", Email = "u1@example.com", NotifyImportant = ["chat", "sms 20s", "email 40s"] },
                ["U2"] = new PersonOptions { Phone = "+15551230002", Email = "u2@example.com", NotifyImportant = ["chat", "sms 20s", "email 40s"] },
            },
        };
        var escalator = new Escalator(Options.Create(config));

        // 10,000 open incidents, each with a running escalation, then its first step made due within a minute from a few
        // seconds after the seeding (which takes seconds on SQLite, ten or more on PostgreSQL).
        var seeding = Stopwatch.StartNew();
        var numbers = new long[open];
        for (var i = 0; i < open; i += 500)
        {
            var first = i;
            await store.WriteAsync(s =>
            {
                for (var n = first; n < first + 500; n++)
                {
                    var (incident, opened) = Incident.Open($"Incident {n}", Severity.Sev2, "bench", $"g{n}", Actor.Bot, "opened", s.Now);
                    s.InsertIncident(incident);
                    escalator.Start(s, incident, "p", Actor.Bot, "bench");
                    s.RescheduleJob(Escalator.StepKey(incident.Number, "p", 1, 0, 0), s.Now + TimeSpan.FromDays(1));
                    numbers[n] = incident.Number;
                }

                return true;
            });
        }

        var start = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        var stepDue = Enumerable.Range(0, open).ToDictionary(n => numbers[n], n => start + spread * n / open); // each incident's first step
        for (var i = 0; i < open; i += 1000)
        {
            var first = i;
            await store.WriteAsync(s =>
            {
                for (var n = first; n < first + 1000; n++)
                {
                    s.RescheduleJob(Escalator.StepKey(numbers[n], "p", 1, 0, 0), start + spread * n / open);
                }

                return true;
            });
        }

        Console.WriteLine($"seeded in {seeding.Elapsed.TotalSeconds:0.0} s; the first step due {(start - DateTimeOffset.UtcNow).TotalSeconds:0.0} s later");
        var lateness = new ConcurrentBag<double>();
        var notified = new ConcurrentBag<double>();
        var emailed = new ConcurrentBag<double>(); // the e-mails among them: a slow SMS provider must not hold them back
        var texted = new ConcurrentBag<double>(); // the SMS among them: a slow provider's go out as fast as the phone lane's slots
        var paged = new ConcurrentBag<double>(); // the DMs the steps page with, each a job of its own
        var pagedFromStep = new ConcurrentBag<double>(); // the same, from their step's due time: what the person waits
        var options = settings.GetSection("Outbox").Get<OutboxOptions>() ?? new OutboxOptions();
        var notify = new NotifyHandler(store, store, store, [new Sent("sms", slowSms), new Sent("email", TimeSpan.Zero)], Options.Create(config));
        var dispatcher = new OutboxDispatcher(
            store,
            [new JobRunner<EscalationStepJob>(new Measured<EscalationStepJob>(new EscalationStepHandler(store, escalator), lateness)),
             new JobRunner<PageJob>(new Measured<PageJob>(new SinceStep(stepDue, pagedFromStep, slowDms), paged)),
             new JobRunner<InviteJob>(new Slow<InviteJob>(slowChat)), new JobRunner<PostTextJob>(new Slow<PostTextJob>(slowChat)),
             new JobRunner<NotifyJob>(new Measured<NotifyJob>(new Measured<NotifyJob>(new Measured<NotifyJob>(notify, emailed, job => job.Channel == NotificationRule.Email), texted, job => job.Channel == NotificationRule.Sms), notified))],
            TimeProvider.System,
            Options.Create(options),
            NullLogger<OutboxDispatcher>.Instance);

        Console.WriteLine(
            $"{(server is null ? "SQLite" : $"PostgreSQL ({storage.EffectiveWriters} writer{(storage.EffectiveWriters == 1 ? "" : "s")})")}: {open} open escalations; " +
            $"first steps due from {start:HH:mm:ss} over {spread.TotalSeconds} s; poll interval {options.PollInterval.TotalMilliseconds} ms" +
            (slowChat > TimeSpan.Zero ? $"; each channel message{(slowDms > TimeSpan.Zero ? " and DM" : "")} takes {slowChat.TotalMilliseconds} ms" : "") +
            (slowSms > TimeSpan.Zero ? $"; each SMS takes {slowSms.TotalMilliseconds} ms, {options.SlotsOf(JobLane.Phone)} at once" : ""));
        var worker = new Bot.Workers.OutboxWorker(dispatcher, store, TimeProvider.System, Options.Create(options), NullLogger<Bot.Workers.OutboxWorker>.Instance);
        await worker.StartAsync(CancellationToken.None);
        using var stopWebhooks = new CancellationTokenSource();
        var webhooks = args.Contains("--webhooks") ? FloodAsync(store, start, stopWebhooks.Token) : Task.FromResult(0L);
        var watch = Stopwatch.StartNew();
        while ((lateness.Count < open || notified.Count < 2 * open) && watch.Elapsed < spread + TimeSpan.FromSeconds(100))
        {
            await Task.Delay(100);
        }

        await stopWebhooks.CancelAsync();
        if (args.Contains("--webhooks"))
        {
            Console.WriteLine($"webhooks alongside (100 alert groups, {IngestBenchmark.AlertsPerWebhook} new alerts each, {Flooders} in flight) from the first step due: {await webhooks / (DateTimeOffset.UtcNow - start).TotalSeconds:0}/s");
        }

        await worker.StopAsync(CancellationToken.None);

        var sorted = lateness.Order().ToArray();
        double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        Console.WriteLine($"steps run: {sorted.Length} of {open}; lateness p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        sorted = paged.Order().ToArray();
        Console.WriteLine($"pages (DMs) sent: {sorted.Length}; lateness p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        sorted = pagedFromStep.Order().ToArray();
        Console.WriteLine($"pages (DMs) from their step's due time: p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        sorted = notified.Order().ToArray();
        Console.WriteLine($"personal rules run (SMS, e-mail): {sorted.Length} of {2 * open}; lateness p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        sorted = emailed.Order().ToArray();
        Console.WriteLine($"e-mails among them: {sorted.Length} of {open}; lateness p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        sorted = texted.Order().ToArray();
        Console.WriteLine($"SMS among them: {sorted.Length} of {open}; lateness p50 {P(0.50):0} ms, p90 {P(0.90):0} ms, p99 {P(0.99):0} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):0} ms");
        if (statements)
        {
            await (await IngestBenchmark.PrintStatementsAsync(server!.ConnectionString)).DisposeAsync();
        }

        return 0;
    }

    /// <summary>Webhooks in flight at once in <see cref="FloodAsync"/>, as the ingest benchmark's 50 connections.</summary>
    private const int Flooders = 50;

    /// <summary>
    /// From <paramref name="from"/> until stopped, webhooks of 100 alert groups through the intake and the store as the bot
    /// sends them (each to its group's writer), <see cref="Flooders"/> at once; returns how many committed.
    /// </summary>
    private static async Task<long> FloodAsync(SqlIncidentStore store, DateTimeOffset from, CancellationToken stop)
    {
        var intake = new AlertIntake(new IncidentRules(Options.Create(new IncidentOptions())), new Escalator(Options.Create(new EscalationOptions())));
        var parser = new AlertmanagerParser();
        await Task.Delay(from - DateTimeOffset.UtcNow, CancellationToken.None);
        long sent = 0, committed = 0;
        await Task.WhenAll(Enumerable.Range(0, Flooders).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var batch = parser.Parse(IngestBenchmark.Payload(Interlocked.Increment(ref sent)), "alertmanager", DateTimeOffset.UtcNow);
                await store.WriteAsync(s => intake.Ingest(s, batch), intake.AffinityOf(batch)!);
                Interlocked.Increment(ref committed);
            }
        })));
        return committed;
    }

    /// <summary>A channel message that takes <paramref name="takes"/> (none: done at once).</summary>
    private sealed class Slow<TJob>(TimeSpan takes) : IJobHandler<TJob>
        where TJob : class, IJob<TJob>
    {
        public Task HandleAsync(TJob job, EffectJob run, CancellationToken cancellationToken) =>
            takes > TimeSpan.Zero ? Task.Delay(takes, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Runs <paramref name="inner"/>, noting how late each job (of those <paramref name="which"/> picks: all) started.</summary>
    private sealed class Measured<TJob>(IJobHandler<TJob> inner, ConcurrentBag<double> lateness, Func<TJob, bool>? which = null) : IJobHandler<TJob>
        where TJob : class, IJob<TJob>
    {
        public Task HandleAsync(TJob job, EffectJob run, CancellationToken cancellationToken)
        {
            if (which?.Invoke(job) ?? true)
            {
                lateness.Add((DateTimeOffset.UtcNow - run.DueAt).TotalMilliseconds);
            }

            return inner.HandleAsync(job, run, cancellationToken);
        }
    }

    /// <summary>Sends a first step's DM (at once, or taking <paramref name="takes"/>), noting how long after the step fell due it started.</summary>
    private sealed class SinceStep(IReadOnlyDictionary<long, DateTimeOffset> stepDue, ConcurrentBag<double> since, TimeSpan takes) : IJobHandler<PageJob>
    {
        public Task HandleAsync(PageJob job, EffectJob run, CancellationToken cancellationToken)
        {
            since.Add((DateTimeOffset.UtcNow - stepDue[job.Incident]).TotalMilliseconds);
            return takes > TimeSpan.Zero ? Task.Delay(takes, cancellationToken) : Task.CompletedTask;
        }
    }

    /// <summary>A channel that sends at once, or taking <paramref name="takes"/> (the provider's own time is not the bot's lateness).</summary>
    private sealed class Sent(string channel, TimeSpan takes) : INotifier
    {
        public string Channel => channel;

        public Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken) =>
            takes > TimeSpan.Zero ? Task.Delay(takes, cancellationToken) : Task.CompletedTask;
    }
}
