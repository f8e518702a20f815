using System.Diagnostics.Metrics;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Telemetry;

namespace Bot.Telemetry;

/// <summary>
/// The gauges read from the store: incidents by severity and status, outbox jobs not done by kind, state and lane, and
/// the age of each lane's oldest due job and of its oldest job not done. Counted every
/// <see cref="TelemetryOptions.StatsInterval"/> (a few grouped counts through indexes), not at each scrape; every replica
/// reports the same database, so aggregate them with <c>max</c>.
/// </summary>
internal sealed class StoreGauges : BackgroundService
{
    private readonly IIncidentReads _store;
    private readonly TimeProvider _time;
    private readonly TelemetryOptions _options;
    private readonly ILogger<StoreGauges> _log;
    private readonly Meter _meter = new(BotTelemetry.Name); // this host's: disposed with it
    private readonly LatestStoreStats _latest;

    public StoreGauges(IIncidentReads store, LatestStoreStats latest, TimeProvider time, Microsoft.Extensions.Options.IOptions<TelemetryOptions> options, ILogger<StoreGauges> log)
    {
        _store = store;
        _latest = latest;
        _time = time;
        _options = options.Value;
        _log = log;
        _meter.CreateObservableGauge(
            "incidentbot.incidents",
            () => (Stats?.Incidents ?? []).Select(c => new Measurement<long>(c.Count, BotTelemetry.Tag("severity", c.Severity.ToString().ToLowerInvariant()), BotTelemetry.Tag("status", c.Status.Name()))),
            "{incident}",
            "Incidents in the store by severity and status (resolved included: their sum is how many were opened)");
        _meter.CreateObservableGauge(
            "incidentbot.outbox.jobs",
            () => (Stats?.Jobs ?? []).Select(c => new Measurement<long>(c.Count, BotTelemetry.Tag("kind", c.Kind), BotTelemetry.Tag("state", c.State), BotTelemetry.Tag("lane", c.Lane))),
            "{job}",
            "Outbox jobs not done, by kind, state (pending, running, failed) and the worker's lane that runs them");
        _meter.CreateObservableGauge(
            "incidentbot.outbox.oldest_due_age",
            () => Lanes.Select(lane => new Measurement<double>(Age(Stats?.OldestDueByLane, lane), BotTelemetry.Tag("lane", lane))),
            "s",
            "How long the job due longest ago and not started has waited, in each of the worker's lanes (0: none is due): a provider that hangs holds its own lane's");
        _meter.CreateObservableGauge(
            "incidentbot.outbox.oldest_undone_age",
            () => Lanes.Select(lane => new Measurement<double>(Age(Stats?.OldestUndoneByLane, lane), BotTelemetry.Tag("lane", lane))),
            "s",
            "How long the job not done that fell due longest ago has been due, in each of the worker's lanes (0: none): waiting, claimed, running, or between tries (from its first due time): a provider that fails or hangs on every page shows here, however few they are");
        _meter.CreateObservableGauge(
            "incidentbot.heartbeat.missed",
            () => (Stats?.Heartbeats ?? []).Select(h => new Measurement<int>(h.Missed ? 1 : 0, BotTelemetry.Tag("heartbeat", h.Name))),
            "{heartbeat}",
            "1 while a heartbeat is missed (its incident is open), else 0");
        _meter.CreateObservableGauge(
            "incidentbot.heartbeat.last_beat_age",
            () => (Stats?.Heartbeats ?? []).Select(h => new Measurement<double>(Math.Max(0, (_time.GetUtcNow() - h.LastBeatAt).TotalSeconds), BotTelemetry.Tag("heartbeat", h.Name))),
            "s",
            "How long ago each heartbeat last beat");
        _meter.CreateObservableGauge(
            "incidentbot.store.stats_age",
            () => _latest.Last is { } last ? (_time.GetUtcNow() - last.At).TotalSeconds : double.NaN,
            "s",
            "How old the store's counts above are (they fail to refresh while the store cannot be read)");
    }

    private StoreStats? Stats => _latest.Last?.Stats;

    /// <summary>Every lane's name: each lane's age is served, 0 while none of its jobs is due, so its series never ends.</summary>
    private static readonly string[] Lanes = [.. JobsWanted.Lanes.Select(lane => lane.Name())];

    private double Age(IReadOnlyList<LaneDue>? byLane, string lane) =>
        byLane?.FirstOrDefault(l => l.Lane == lane) is { } due ? Math.Max(0, (_time.GetUtcNow() - due.DueAt).TotalSeconds) : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _latest.Set(await _store.GetStatsAsync(stoppingToken), _time.GetUtcNow());
            }
            catch (StoreUnavailableException e)
            {
                _log.LogWarning("Could not count the store's incidents and jobs for the metrics: {Reason}", e.Message);
            }

            await Task.Delay(_options.StatsInterval, _time, stoppingToken);
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }
}
