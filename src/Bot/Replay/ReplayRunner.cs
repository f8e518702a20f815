using System.Text;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.Core.Store;
using Bot.Webhooks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Bot.Replay;

/// <summary>
/// <c>dotnet run --project src/Bot -- replay &lt;scenario&gt; [--out &lt;folder&gt;]</c>: runs a scenario through the real
/// pipeline (parsers, intake, commands, outbox and its handlers, postmortem renderer) on a virtual clock and the local
/// adapters (SQLite, local chat, local repository: no network), then prints where the postmortem drafts are.
/// </summary>
public static class ReplayRunner
{
    /// <summary>How far the virtual clock moves between outbox passes while it runs up to the next step.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        if (args.Length < 2 || args[1].StartsWith('-'))
        {
            await errors.WriteLineAsync("Usage: dotnet run --project src/Bot -- replay <scenario.yaml|json> [--out <folder>]  (scenario format: docs/replay.md)");
            return 2;
        }

        Scenario scenario;
        try
        {
            scenario = Scenario.Load(args[1]);
        }
        catch (ScenarioException e)
        {
            await errors.WriteLineAsync($"replay: {e.Message}");
            return 2;
        }

        string? outFolder = null;
        var settings = new List<string>();
        for (var i = 2; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length)
            {
                outFolder = args[++i];
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Contains('=', StringComparison.Ordinal))
            {
                settings.Add(args[i]); // e.g. --Incidents:GroupBy:0=alertname
            }
            else
            {
                await errors.WriteLineAsync($"replay: '{args[i]}' is not understood; give --out <folder> or settings as --Section:Key=value.");
                return 2;
            }
        }

        var folder = Path.GetFullPath(outFolder ?? Path.Combine("data", "replay", scenario.Name));
        if (PrepareFolder(folder) is { } refusal)
        {
            await errors.WriteLineAsync($"replay: {refusal}");
            return 2;
        }

        var clock = new VirtualClock(scenario.Start);
        string[] hostArgs = [.. scenario.Settings, .. settings, .. HostSettings(folder)];

        WebApplication app;
        try
        {
            app = BotApp.Build(hostArgs, b =>
            {
                b.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
                b.Services.RemoveAll<IHostedService>(); // the replay drives the outbox itself, on the virtual clock
            });
        }
        catch (Exception e) when (BotApp.StartupError(e) is { } message)
        {
            await errors.WriteLineAsync($"replay: cannot start: {message}");
            return 2;
        }

        await using (app)
        {
            var run = new Run(app.Services, clock, output);
            try
            {
                await output.WriteLineAsync($"Replaying {scenario.Name}: {scenario.Steps.Count} steps from {scenario.Start:yyyy-MM-dd HH:mm} UTC into {folder}");
                for (var i = 0; i < scenario.Steps.Count; i++)
                {
                    await run.AdvanceToAsync(scenario.Steps[i].At);
                    await run.StepAsync(scenario.Steps[i], $"step {i + 1}");
                }

                await run.AdvanceToAsync(clock.GetUtcNow() + TimeSpan.FromMinutes(5)); // the last jobs (postmortem) run
                return await run.ReportAsync(Path.Combine(folder, "repo"));
            }
            catch (ScenarioException e)
            {
                await errors.WriteLineAsync($"replay: {e.Message}");
                return 1;
            }
        }
    }

    /// <summary>
    /// The replay's own settings, over the scenario's: its folder, local adapters only (whatever the environment says), and
    /// one outbox job at a time, so that jobs due at the same virtual time commit in one order and a replay gives the same
    /// draft every time.
    /// </summary>
    public static string[] HostSettings(string folder) =>
    [
        $"--Storage:SqlitePath={Path.Combine(folder, "bot.db")}",
        "--Storage:Synchronous=Normal",
        $"--LocalChat:Directory={Path.Combine(folder, "chat")}",
        $"--GitHub:LocalDirectory={Path.Combine(folder, "repo")}",
        "--Slack:BotToken=", "--Slack:AppToken=", "--GitHub:Token=", "--GitHub:Repository=",
        "--Slack:BotTokenFile=", "--Slack:AppTokenFile=", "--GitHub:TokenFile=",
        "--Twilio:AccountSid=", "--Twilio:AuthToken=", "--Twilio:From=", "--Email:Host=",
        $"--Paging:LocalDirectory={Path.Combine(folder, "pages")}",
        "--Outbox:Concurrency=1",
        "--Outbox:PagingConcurrency=1",
        "--Logging:LogLevel:Default=Warning",
    ];

    /// <summary>The file that marks a folder as a replay's own: only such a folder is emptied by the next replay.</summary>
    public const string Marker = ".incident-bot-replay";

    /// <summary>
    /// Empties the output folder (a replay starts from nothing) if a replay made it, or makes it; returns why not when the
    /// folder holds anything else (the working directory, a database, someone's files): a replay deletes only its own.
    /// </summary>
    private static string? PrepareFolder(string folder)
    {
        var cwd = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Directory.GetCurrentDirectory()));
        var target = Path.TrimEndingDirectorySeparator(folder);
        if (cwd == target || cwd.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return $"--out '{folder}' holds the working directory; choose a new or empty folder elsewhere.";
        }

        if (File.Exists(folder))
        {
            return $"--out '{folder}' is a file; choose a new or empty folder.";
        }

        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
        {
            if (!File.Exists(Path.Combine(folder, Marker)))
            {
                return $"--out '{folder}' is not empty and was not made by a replay; choose a new or empty folder (a replay empties its folder first).";
            }

            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, Marker), "Made by the incident bot's replay; the next replay into this folder empties it.\n");
        return null;
    }

    private sealed class Run(IServiceProvider services, VirtualClock clock, TextWriter output)
    {
        private readonly IIncidentStore _store = services.GetRequiredService<IIncidentStore>();
        private readonly OutboxDispatcher _outbox = services.GetRequiredService<OutboxDispatcher>();
        private readonly AlertIntake _intake = services.GetRequiredService<AlertIntake>();
        private readonly IncidentCommands _commands = services.GetRequiredService<IncidentCommands>();
        private readonly PageReplies _replies = services.GetRequiredService<PageReplies>();
        private readonly WebhookOptions _webhooks = services.GetRequiredService<IOptions<WebhookOptions>>().Value;
        private long? _current; // the newest incident

        public async Task AdvanceToAsync(DateTimeOffset at)
        {
            while (true)
            {
                while (await _outbox.RunOnceAsync(CancellationToken.None) > 0)
                {
                }

                var now = clock.GetUtcNow();
                if (now >= at)
                {
                    return;
                }

                clock.Set(now + Tick < at ? now + Tick : at);
            }
        }

        public async Task StepAsync(ScenarioStep step, string where)
        {
            var now = clock.GetUtcNow();
            switch (step)
            {
                case WebhookStep w:
                    var format = w.Format ?? (_webhooks.Sources.TryGetValue(w.Source, out var source) ? source.Format : w.Source);
                    if (!WebhookParsers.ByFormat.TryGetValue(format, out var parser))
                    {
                        throw new ScenarioException($"{where}: webhook format '{format}' is unknown; formats: {WebhookParsers.Names}.");
                    }

                    AlertBatch batch;
                    try
                    {
                        batch = parser.Parse(Encoding.UTF8.GetBytes(w.Json), w.Source, now);
                    }
                    catch (WebhookFormatException e)
                    {
                        throw new ScenarioException($"{where}: the {format} payload is refused as the bot would refuse it (400): {e.Message}");
                    }

                    var report = await _store.WriteAsync(s => _intake.Ingest(s, batch), CancellationToken.None);

                    await output.WriteLineAsync($"{now:HH:mm} webhook {w.Source}: {batch.Alerts.Count} alert(s); opened [{string.Join(", ", report.Opened)}], updated [{string.Join(", ", report.Updated)}]");
                    break;

                case CommandStep c:
                    var incident = c.Incident is { } key ? Incident.ParseKey(key) ?? throw new ScenarioException($"{where}: '{key}' is not an incident id (INC-n).") : _current;
                    var reply = await _commands.ExecuteAsync(c.Text, new CommandContext(new Actor(c.User, c.Name), incident));
                    if (!reply.Ok)
                    {
                        throw new ScenarioException($"{where}: /incident {c.Text} was refused: {reply.Text}");
                    }

                    await output.WriteLineAsync($"{now:HH:mm} {c.Name}: /incident {c.Text}");
                    break;

                case ReplyStep r:
                    var via = r.Via switch { "sms" => "SMS", "voice" => "phone call", _ => "e-mail" };
                    var answer = r.Text.Trim() == "1"
                        ? await _replies.AcknowledgeAsync(r.User, via)
                        : new CommandReply(CommandOutcome.Invalid, "only 1 acknowledges");
                    if (!answer.Ok)
                    {
                        throw new ScenarioException($"{where}: {r.User}'s {via} answer '{r.Text}' acknowledged nothing: {answer.Text}");
                    }

                    await output.WriteLineAsync($"{now:HH:mm} {r.User} answered the {via}: {r.Text}");
                    break;
            }

            // Commands without an incident go to the newest one: opened by a webhook or declared.
            var newest = await _store.ListIncidentsAsync(new IncidentQuery(null, false, 1), CancellationToken.None);
            _current = newest.Count > 0 ? newest[0].Number : null;
        }

        public async Task<int> ReportAsync(string repository)
        {
            var incidents = await _store.ListIncidentsAsync(new IncidentQuery(null, false, 1000), CancellationToken.None);
            var failed = 0;
            foreach (var incident in incidents.OrderBy(i => i.Number))
            {
                await output.WriteLineAsync($"{incident.Key}: {incident.Status.Name()}, {incident.Severity.Display()}, {incident.Title}");
                foreach (var entry in await _store.ListTimelineAsync(incident.Number, new TimelineQuery(int.MaxValue, Kinds: [TimelineKind.EffectFailed]), CancellationToken.None))
                {
                    failed++;
                    await output.WriteLineAsync($"  failed: {entry.Text}");
                }
            }

            var drafts = Directory.Exists(Path.Combine(repository, "postmortems"))
                ? Directory.GetFiles(Path.Combine(repository, "postmortems"), "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
                : [];
            foreach (var draft in drafts)
            {
                await output.WriteLineAsync($"Postmortem: {draft}");
            }

            if (drafts.Count == 0)
            {
                await output.WriteLineAsync("No postmortem was written: no incident was resolved (add a resolve command, or /incident postmortem).");
            }

            return failed == 0 ? 0 : 1;
        }
    }
}

/// <summary>A clock the replay sets: the pipeline reads scenario time, not wall time.</summary>
public sealed class VirtualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Set(DateTimeOffset now) => Interlocked.Exchange(ref _ticks, now.UtcTicks);
}
