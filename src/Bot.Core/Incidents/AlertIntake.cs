using System.Text.Json;
using Bot.Core.Alerts;
using Bot.Core.Effects;
using Bot.Core.Intake;
using Bot.Core.Ports;

namespace Bot.Core.Incidents;

/// <summary>
/// The grouping stage: applies a webhook's alerts to incidents inside one unit of work. A firing alert opens an
/// incident unless an open incident holds its group, and then joins it; a repeat changes nothing; a resolution
/// is recorded on the incident that holds the alert. Every change is a timeline entry, and chat effects are
/// enqueued in the same unit of work.
/// </summary>
public sealed class AlertIntake(IncidentRules rules)
{
    public IngestReport Ingest(IIncidentSession session, AlertBatch batch)
    {
        var run = new Run(rules, session, batch);
        foreach (var group in batch.Alerts.GroupBy(a => rules.GroupKeyOf(a, batch.Source, batch.GroupKey)))
        {
            run.ApplyGroup(group.Key, group);
        }

        return run.Report();
    }

    /// <summary>The state of one ingest: what changed, per incident.</summary>
    private sealed class Run(IncidentRules rules, IIncidentSession s, AlertBatch batch)
    {
        private readonly Actor _source = Actor.Source(batch.Source);
        private readonly List<string> _opened = [];
        private readonly Dictionary<long, List<string>> _changes = [];
        private int _new;
        private int _changed;
        private int _unchanged;

        public void ApplyGroup(string groupKey, IEnumerable<Alert> alerts)
        {
            var incident = s.FindOpenIncident(groupKey);
            var resolvedSome = false;
            foreach (var alert in alerts)
            {
                if (alert.Status == AlertStatus.Firing)
                {
                    incident = Fire(incident, groupKey, alert);
                }
                else
                {
                    resolvedSome |= Resolve(incident, groupKey, alert);
                }
            }

            if (incident is not null && resolvedSome && rules.AutoResolve && incident.IsOpen && s.CountFiringAlerts(incident.Number) == 0)
            {
                s.AppendTimeline(incident.Number, incident.Resolve(_source, s.Now, "All alerts resolved (auto-resolve)."));
                s.UpdateIncident(incident);
                Note(incident.Number, "All alerts resolved: the incident is resolved (auto-resolve).");
            }
        }

        public IngestReport Report()
        {
            foreach (var (number, lines) in _changes)
            {
                var text = string.Join("\n", lines);
                var key = $"{Incident.FormatKey(number)}:post:{s.Now.ToUnixTimeMilliseconds()}:{Fingerprint.Of(Alerts.LabelSet.Empty, text)}";
                s.Enqueue(new EffectJob(key, EffectKinds.Post, Incident.FormatKey(number), ChatPayload.For(number, text), s.Now));
            }

            var updated = _changes.Keys.Select(Incident.FormatKey).Except(_opened).ToList();
            return new IngestReport(_opened, updated, _new, _changed, _unchanged);
        }

        private Incident Fire(Incident? incident, string groupKey, Alert alert)
        {
            var at = alert.StartsAt < s.Now ? alert.StartsAt : s.Now;
            var severity = rules.SeverityOf(alert);
            if (incident is null)
            {
                var (opened, entry) = Incident.Open(
                    alert.Title, severity, batch.Source, groupKey, _source, $"Incident opened by alert {alert.Title} from {batch.Source}.", s.Now);
                s.InsertIncident(opened);
                s.UpsertAlert(opened.Number, groupKey, alert);
                s.AppendTimeline(opened.Number, new TimelineEntry(at, TimelineKind.AlertFiring, _source, $"Alert firing: {alert.Title} {alert.Labels}"));
                s.AppendTimeline(opened.Number, entry);
                EnqueueOpening(opened);
                _opened.Add(opened.Key);
                _new++;
                return opened;
            }

            var known = s.FindAlert(incident.Number, alert.Fingerprint);
            if (known is null)
            {
                s.UpsertAlert(incident.Number, groupKey, alert);
                Record(incident, new TimelineEntry(at, TimelineKind.AlertFiring, _source, $"Alert joined: {alert.Title} {alert.Labels}"));
                _new++;
            }
            else if (known.Alert.Status == AlertStatus.Resolved && alert.StartsAt > known.Alert.StartsAt)
            {
                s.UpsertAlert(incident.Number, groupKey, alert);
                Record(incident, new TimelineEntry(at, TimelineKind.AlertFiring, _source, $"Alert firing again: {alert.Title} {alert.Labels}"));
                _changed++;
            }
            else
            {
                _unchanged++;
                return incident;
            }

            if (incident.Escalate(severity, _source, $"alert {alert.Title} is {severity.Display()}.", s.Now) is { } raised)
            {
                s.UpdateIncident(incident);
                Record(incident, raised);
            }

            return incident;
        }

        private bool Resolve(Incident? incident, string groupKey, Alert alert)
        {
            var known = (incident is null ? null : s.FindAlert(incident.Number, alert.Fingerprint)) ?? s.FindLatestAlert(groupKey, alert.Fingerprint);
            if (known is null || known.Alert.Status == AlertStatus.Resolved || alert.StartsAt < known.Alert.StartsAt)
            {
                // Never seen firing, already resolved, or a stale resolution of an earlier episode.
                _unchanged++;
                return false;
            }

            var ended = alert.EndsAt is { } end && end < s.Now ? end : s.Now;
            s.UpsertAlert(known.IncidentNumber, groupKey, alert with { EndsAt = ended });
            var entry = new TimelineEntry(ended, TimelineKind.AlertResolved, _source, $"Alert resolved: {alert.Title} {alert.Labels}");
            s.AppendTimeline(known.IncidentNumber, entry);
            Note(known.IncidentNumber, entry.Text);
            _changed++;
            return true;
        }

        private void Record(Incident incident, TimelineEntry entry)
        {
            s.AppendTimeline(incident.Number, entry);
            if (!_opened.Contains(incident.Key))
            {
                Note(incident.Number, entry.Text);
            }
        }

        private void Note(long incident, string line)
        {
            if (!_changes.TryGetValue(incident, out var lines))
            {
                _changes[incident] = lines = [];
            }

            lines.Add(line);
        }

        private void EnqueueOpening(Incident incident)
        {
            var payload = ChatPayload.For(incident.Number);
            foreach (var kind in new[] { EffectKinds.OpenChannel, EffectKinds.PostSummary, EffectKinds.Announce })
            {
                s.Enqueue(new EffectJob($"{incident.Key}:{kind}", kind, incident.Key, payload, s.Now));
            }
        }
    }
}

/// <summary>The payload of chat jobs: the incident and, for plain posts, the text.</summary>
public sealed record ChatPayload(long Incident, string? Text = null)
{
    public static string For(long incident, string? text = null) =>
        JsonSerializer.Serialize(new ChatPayload(incident, text), CoreJsonContext.Default.ChatPayload);

    public static ChatPayload Read(string payload) =>
        JsonSerializer.Deserialize(payload, CoreJsonContext.Default.ChatPayload)
        ?? throw new PermanentEffectException("The job's payload is empty.");
}
