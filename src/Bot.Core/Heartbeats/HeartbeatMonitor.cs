using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Microsoft.Extensions.Options;

namespace Bot.Core.Heartbeats;

/// <summary>
/// The dead man's switches (<see cref="HeartbeatOptions"/>). A beat records when it came and moves the heartbeat's check
/// (an outbox job: durable, run once across replicas) to when the next beat is due; a check that finds no beat since
/// opens an incident through the intake, as a firing alert <c>HeartbeatMissed</c> with the heartbeat's labels (grouped,
/// routed and paged like any alert); the next beat resolves that alert and the incident with it.
/// </summary>
public sealed class HeartbeatMonitor
{
    /// <summary>The source the missed heartbeat's alerts come from: the timeline says "heartbeat".</summary>
    public const string Source = "heartbeat";

    private readonly AlertIntake _intake;
    private readonly Dictionary<string, Heartbeat> _beats;

    public HeartbeatMonitor(IOptions<HeartbeatSettings> settings, AlertIntake intake)
    {
        _intake = intake;
        _beats = settings.Value.Heartbeats.ToDictionary(
            kv => kv.Key,
            kv => new Heartbeat(
                kv.Key,
                Durations.Parse(kv.Value.Interval) ?? TimeSpan.FromMinutes(5),
                Durations.Parse(kv.Value.Grace) ?? TimeSpan.Zero,
                [.. kv.Value.Match.Select(LabelMatcher.Parse)],
                kv.Value),
            StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<string> Names => _beats.Keys;

    /// <summary>The heartbeat's settings, or null for a name not configured.</summary>
    public HeartbeatOptions? Find(string name) => _beats.TryGetValue(name, out var beat) ? beat.Options : null;

    /// <summary>
    /// Starts watching a heartbeat that has no state yet (the bot's first start with it): a beat is due one interval
    /// from now, so a sender that never beats is noticed too.
    /// </summary>
    public void Watch(IHeartbeatSession s, string name)
    {
        var beat = _beats[name];
        if (s.GetHeartbeat(beat.Name) is null)
        {
            s.SaveHeartbeat(Schedule(s, beat, new HeartbeatState(beat.Name, s.Now, Missed: false, CheckKey: null)));
        }
    }

    /// <summary>A beat: recorded, the check moved to the next beat's time, and a missed heartbeat's incident resolved.</summary>
    public void Beat(IHeartbeatSession s, string name)
    {
        var beat = _beats[name];
        var state = s.GetHeartbeat(beat.Name) ?? new HeartbeatState(beat.Name, s.Now, false, null);
        if (state.Missed)
        {
            _intake.Ingest(s, Batch(beat, MissedAlert(beat, state.LastBeatAt) with { Status = AlertStatus.Resolved, EndsAt = s.Now }));
        }

        s.SaveHeartbeat(Schedule(s, beat, state with { LastBeatAt = s.Now, Missed = false }));
        Telemetry.BotTelemetry.Beats.Add(1, Telemetry.BotTelemetry.Tag("heartbeat", beat.Name));
    }

    /// <summary>The check, when due: no beat since the last one's interval and grace ran out opens the incident (once).</summary>
    public void Check(IHeartbeatSession s, string name)
    {
        if (!_beats.TryGetValue(name, out var beat) || s.GetHeartbeat(beat.Name) is not { } state || state.Missed)
        {
            return; // no longer configured, never watched, or already missed (the incident is open)
        }

        var due = state.LastBeatAt + beat.Interval + beat.Grace;
        if (s.Now < due)
        {
            s.SaveHeartbeat(Schedule(s, beat, state)); // a beat came as this check started: check again at its time
            return;
        }

        _intake.Ingest(s, Batch(beat, MissedAlert(beat, state.LastBeatAt)));
        s.SaveHeartbeat(state with { Missed = true, CheckKey = null });
    }

    /// <summary>
    /// A webhook's alerts with the beats taken out: an alert matching a heartbeat (Alertmanager's Watchdog) beats it and
    /// opens no incident; the rest go to the intake. The answer counts the beats as unchanged alerts.
    /// </summary>
    public IngestReport Ingest(IHeartbeatSession s, AlertBatch batch)
    {
        if (_beats.Count == 0)
        {
            return _intake.Ingest(s, batch);
        }

        var rest = new List<Alert>(batch.Alerts.Count);
        var beats = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var alert in batch.Alerts)
        {
            var matched = _beats.Values.Where(b => b.Matchers.Count > 0 && b.Matchers.All(m => m.Matches(alert.Labels))).ToList();
            if (matched.Count == 0)
            {
                rest.Add(alert);
            }
            else if (alert.Status == AlertStatus.Firing)
            {
                beats.UnionWith(matched.Select(b => b.Name)); // a resolved Watchdog is no beat: Alertmanager stopped sending it
            }
        }

        foreach (var name in beats)
        {
            Beat(s, name);
        }

        var report = rest.Count == 0 ? new IngestReport([], [], 0, 0, 0) : _intake.Ingest(s, batch with { Alerts = rest });
        return report with { UnchangedAlerts = report.UnchangedAlerts + batch.Alerts.Count - rest.Count };
    }

    private static HeartbeatState Schedule(IHeartbeatSession s, Heartbeat beat, HeartbeatState state)
    {
        var due = state.LastBeatAt + beat.Interval + beat.Grace;
        if (state.CheckKey is { } key && s.RescheduleJob(key, due))
        {
            return state;
        }

        var job = new HeartbeatCheckJob(beat.Name, due.ToUnixTimeMilliseconds());
        s.Enqueue(job);
        return state with { CheckKey = job.Key };
    }

    private static AlertBatch Batch(Heartbeat beat, Alert alert) => new(Source, $"heartbeat:{beat.Name}", [alert]) { AutoResolve = true };

    private static Alert MissedAlert(Heartbeat beat, DateTimeOffset lastBeat)
    {
        var labels = new Dictionary<string, string>(beat.Options.Labels, StringComparer.Ordinal) { ["heartbeat"] = beat.Name };
        labels.TryAdd("alertname", "HeartbeatMissed");
        var summary = beat.Options.Title ?? $"No heartbeat from {beat.Name}";
        return new Alert(
            $"heartbeat:{beat.Name}",
            AlertStatus.Firing,
            LabelSet.From(labels),
            LabelSet.From([
                new("summary", summary),
                new("description", $"The last beat of heartbeat {beat.Name} came at {lastBeat:yyyy-MM-dd HH:mm:ss} UTC; one is expected every {Durations.Format(beat.Interval)} (grace {Durations.Format(beat.Grace)})."),
            ]),
            lastBeat + beat.Interval + beat.Grace,
            null,
            null);
    }

    private sealed record Heartbeat(string Name, TimeSpan Interval, TimeSpan Grace, IReadOnlyList<LabelMatcher> Matchers, HeartbeatOptions Options);
}
