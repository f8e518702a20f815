using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Bot.Core.Telemetry;

/// <summary>
/// The bot's own meter and activity source (System.Diagnostics: the runtime's, no exporter here). The host exports them
/// with OpenTelemetry: metrics on <c>/metrics</c> in Prometheus' format, traces over OTLP. Labels never carry incident
/// or user ids: each label's values are few and known in advance (a source, a kind, a team, an outcome).
/// </summary>
public static class BotTelemetry
{
    public const string Name = "IncidentBot";

    public static readonly Meter Meter = new(Name);

    public static readonly ActivitySource Activities = new(Name);

    /// <summary>Webhooks answered, by source and HTTP status code.</summary>
    public static readonly Counter<long> Webhooks = Meter.CreateCounter<long>("incidentbot.webhooks", "{webhook}", "Webhooks answered, by source and status code");

    /// <summary>Alerts in stored webhooks, by source and what they changed (new, changed, unchanged).</summary>
    public static readonly Counter<long> Alerts = Meter.CreateCounter<long>("incidentbot.alerts", "{alert}", "Alerts taken in, by source and what they changed");

    /// <summary>Outbox jobs finished, by kind and outcome (done, retry, failed); from when they were due to then.</summary>
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>(
        "incidentbot.outbox.job.duration", "s", "Outbox jobs from due to finished (done, retried or failed for good), by kind and outcome",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] });

    /// <summary>How late an outbox job started after it was due (an escalation step's lateness is its timer's), by kind.</summary>
    public static readonly Histogram<double> JobLateness = Meter.CreateHistogram<double>(
        "incidentbot.outbox.job.lateness", "s", "How long after it was due an outbox job started, by kind",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900] });

    /// <summary>People paged, by escalation policy (a team's), step number and channel.</summary>
    public static readonly Counter<long> Pages = Meter.CreateCounter<long>("incidentbot.pages", "{page}", "People paged, by escalation policy, step and channel");

    /// <summary>Heartbeats received, by heartbeat (a configured name: few).</summary>
    public static readonly Counter<long> Beats = Meter.CreateCounter<long>("incidentbot.heartbeats", "{beat}", "Heartbeats received, by heartbeat");

    /// <summary>Calls to a chat or code host (Slack, GitHub), by service, method and outcome (ok, rate_limited, error).</summary>
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("incidentbot.calls", "{call}", "Calls to Slack and GitHub, by service, method and outcome");

    /// <summary>Time spent waiting on a service's rate limit (Retry-After), by service and method.</summary>
    public static readonly Histogram<double> RateLimitWaits = Meter.CreateHistogram<double>(
        "incidentbot.calls.rate_limit_wait", "s", "Waits a service's rate limit asked for (Retry-After), by service and method",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2, 5, 10, 30, 60] });

    /// <summary>Store commits: how long, and how many units each held.</summary>
    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>(
        "incidentbot.store.commit.duration", "s", "Store transactions, from begin to committed",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    /// <summary>
    /// The flushes that make the writers' commits durable (SQLite with Synchronous = Full; PostgreSQL where the server lets
    /// it): how long each took; a flush answers every batch committed before it.
    /// </summary>
    public static readonly Histogram<double> LogFlushDuration = Meter.CreateHistogram<double>(
        "incidentbot.store.log_flush.duration", "s", "Flushes of the store's log to disk before its commits are answered",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    /// <summary>
    /// SQLite's checkpoints (copying its log into the database file), by who ran them: <c>background</c>, beside the
    /// writes, or <c>writer</c>, the writer's own between two batches as the log starts over, which holds every write
    /// meanwhile.
    /// </summary>
    public static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>(
        "incidentbot.store.checkpoint.duration", "s", "SQLite's checkpoints, by who ran them (background; writer: every write waits)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "incidentbot.store.batch.size", "{unit}", "Units of work per store transaction",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <summary>
    /// Store commits that failed (the units were answered 503), by reason: <c>cannot_write</c> (a full disk, a read-only
    /// database) or <c>unavailable</c>. Observed, so both series are served at 0 from the first scrape, whenever the
    /// exporter starts listening (Prometheus' increase() then sees the first failure).
    /// </summary>
    public static readonly ObservableCounter<long> CommitFailures = Meter.CreateObservableCounter(
        "incidentbot.store.commit.failures",
        () => new[]
        {
            new Measurement<long>(Interlocked.Read(ref _commitsCannotWrite), Tag("reason", "cannot_write")),
            new Measurement<long>(Interlocked.Read(ref _commitsUnavailable), Tag("reason", "unavailable")),
        },
        "{commit}",
        "Store transactions that did not commit");

    private static long _commitsCannotWrite;
    private static long _commitsUnavailable;

    /// <summary>Counts a commit that failed, in <see cref="CommitFailures"/>.</summary>
    public static void CommitFailed(bool cannotWrite) => Interlocked.Increment(ref cannotWrite ? ref _commitsCannotWrite : ref _commitsUnavailable);

    public static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}
