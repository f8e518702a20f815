using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Postmortems;

namespace Bot.Core.Intake;

/// <summary>
/// The grouping stage: applies a webhook's alerts to incidents inside one unit of work. A firing alert opens an
/// incident unless an open incident holds its group, and then joins it; a repeat changes nothing; a resolution
/// is recorded on the incident that holds the alert. Each webhook writes one timeline entry per incident and
/// kind of change (listing its alerts), so an alert storm stays readable, and chat hears of changes through a
/// digest (at most one message per incident every <see cref="DigestJob.Length"/>).
/// </summary>
public sealed class AlertIntake(IncidentRules rules, Escalator? escalator = null)
{
    /// <summary>
    /// The group whose rows a batch changes, when it has one (as Alertmanager sends: a webhook per group), with the
    /// alerts the batch looks up in it: the store may then queue it with the group's other webhooks, and read their
    /// alerts together (<see cref="Ports.IUnitOfWork{TSession}.WriteAsync{T}(Func{TSession, T}, Ports.Affinity, CancellationToken)"/>).
    /// </summary>
    public Ports.Affinity? AffinityOf(AlertBatch batch)
    {
        if (batch.Alerts.Count == 0)
        {
            return null;
        }

        var key = rules.SharedGroupKey(batch.Source, batch.GroupKey);
        if (key is null)
        {
            // Grouped by labels, or by fingerprint: the alerts may fall in several groups, and then the batch has none.
            key = rules.GroupKeyOf(batch.Alerts[0], batch.Source, batch.GroupKey);
            if (batch.Alerts.Skip(1).Any(a => rules.GroupKeyOf(a, batch.Source, batch.GroupKey) != key))
            {
                return null;
            }
        }

        return new Ports.Affinity(key, batch.Alerts.Select(a => a.Fingerprint).ToArray());
    }

    public IngestReport Ingest(IIntakeSession session, AlertBatch batch)
    {
        var run = new Run(rules, escalator, session, batch);
        if (rules.SharedGroupKey(batch.Source, batch.GroupKey) is { } key)
        {
            if (batch.Alerts.Count > 0)
            {
                run.ApplyGroup(key, batch.Alerts);
            }
        }
        else
        {
            foreach (var group in batch.Alerts.GroupBy(a => rules.GroupKeyOf(a, batch.Source, batch.GroupKey)))
            {
                run.ApplyGroup(group.Key, group.ToList());
            }
        }

        return run.Finish();
    }

    /// <summary>The state of one ingest: the changes to record, per incident.</summary>
    private sealed class Run(IncidentRules rules, Escalator? escalator, IIntakeSession s, AlertBatch batch)
    {
        private readonly List<(Incident Incident, Alert Alert, IReadOnlyList<string> Policies, bool Opened)> _escalations = [];
        private readonly Actor _source = Actor.Source(batch.Source);
        private readonly List<string> _opened = [];
        private readonly HashSet<long> _updated = [];
        private readonly Dictionary<long, Incident> _toSave = []; // incidents a group changed: saved once, after it
        private readonly List<(long Incident, TimelineEntry Entry)> _openings = [];
        private readonly Dictionary<(long Incident, Change Change), List<(Alert Alert, DateTimeOffset At)>> _changes = [];
        private Dictionary<string, KnownAlert> _known = []; // the group's open incident's alerts among the group's, as stored so far
        private long _knownIn;
        private int _new;
        private int _changed;
        private int _unchanged;

        private enum Change
        {
            Opened,
            Joined,
            FiringAgain,
            Resolved,
        }

        public void ApplyGroup(string groupKey, IReadOnlyList<Alert> alerts)
        {
            var (incident, known) = s.FindOpenIncident(groupKey, alerts.Select(a => a.Fingerprint).ToHashSet(StringComparer.Ordinal));
            _knownIn = incident?.Number ?? 0;
            _known = known;
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

            if (incident is not null && resolvedSome && (rules.AutoResolve || batch.AutoResolve) && incident.IsOpen && incident.FiringCount == 0)
            {
                Flush(); // the resolutions go on the timeline before the incident's resolution
                s.AppendTimeline(incident.Number, incident.Resolve(_source, s.Now, "All alerts resolved (auto-resolve)."));
                s.Enqueue(PublishPostmortemJob.For(incident.Number, s.Now));
                _updated.Add(incident.Number);
                _toSave[incident.Number] = incident;
            }

            // Once per group and incident: its alert tally, and any severity or status the group changed.
            foreach (var changed in _toSave.Values)
            {
                s.UpdateIncident(changed);
            }

            _toSave.Clear();
        }

        public IngestReport Finish()
        {
            Flush();
            // One start per incident and policy, by the first alert that routed there. An alert that joins an open
            // incident starts only a policy that never ran on it: a team that acknowledged is not paged again by the
            // storm's next alert, but a new team's alert (security's, in a DDoS that network has) pages that team.
            var started = new HashSet<(long, string)>();
            foreach (var (incident, alert, policies, opened) in _escalations)
            {
                for (var i = 0; i < policies.Count; i++) // most alerts route to one policy, or none: no enumerator for them
                {
                    var policy = policies[i];
                    if (!started.Add((incident.Number, policy.ToLowerInvariant())))
                    {
                        continue;
                    }

                    if (opened)
                    {
                        escalator!.Start(s, incident, policy, _source, $"alert {alert.Name} matched its route.");
                    }
                    else
                    {
                        escalator!.StartIfNew(s, incident, policy, _source, $"alert {alert.Name} joined the incident and matched its route.");
                    }
                }
            }

            foreach (var number in _updated)
            {
                s.Enqueue(DigestJob.For(number, s.Now));
                IncidentOpening.Changed(s, number);
            }

            var updated = _updated.Select(Incident.FormatKey).Except(_opened).ToList();
            return new IngestReport(_opened, updated, _new, _changed, _unchanged);
        }

        private Incident Fire(Incident? incident, string groupKey, Alert alert)
        {
            var severity = rules.SeverityOf(alert);
            if (incident is null)
            {
                var route = escalator?.Route(alert.Labels, severity);
                severity = route?.Severity ?? severity;
                var (opened, entry) = Incident.Open(
                    alert.Title, severity, batch.Source, groupKey, _source, $"Incident opened by alert {alert.Title} from {batch.Source}.", s.Now);
                opened.TallyAlert(alert, null, s.Now);
                s.InsertIncident(opened);
                s.UpsertAlert(opened.Number, groupKey, alert, isNew: true);
                (_knownIn, _known) = (opened.Number, new(StringComparer.Ordinal) { [alert.Fingerprint] = new KnownAlert(opened.Number, alert.Status, alert.StartsAt) });
                Add(opened.Number, Change.Opened, alert);
                _openings.Add((opened.Number, entry));
                IncidentOpening.EnqueueEffects(s, opened, rules.UpdateEvery);
                if (route is { Policies.Count: > 0 })
                {
                    _escalations.Add((opened, alert, route.Policies, true));
                }

                _opened.Add(opened.Key);
                _new++;
                return opened;
            }

            var known = KnownIn(incident, alert.Fingerprint);
            if (known is null)
            {
                Store(incident, groupKey, alert, null);
                Add(incident.Number, _opened.Contains(incident.Key) ? Change.Opened : Change.Joined, alert);
                _new++;
            }
            else if (known.Value.Status == AlertStatus.Resolved && alert.StartsAt > known.Value.StartsAt)
            {
                Store(incident, groupKey, alert, AlertStatus.Resolved);
                Add(incident.Number, Change.FiringAgain, alert);
                _changed++;
            }
            else
            {
                _unchanged++;
                return incident;
            }

            var joined = escalator?.Route(alert.Labels, severity);
            severity = joined?.Severity ?? severity;
            if (joined is { Policies.Count: > 0 })
            {
                _escalations.Add((incident, alert, joined.Policies, false));
            }

            if (incident.Escalate(severity, _source, alert, s.Now) is { } raised)
            {
                s.AppendTimeline(incident.Number, raised);
            }

            return incident;
        }

        private bool Resolve(Incident? incident, string groupKey, Alert alert)
        {
            var known = (incident is null ? null : KnownIn(incident, alert.Fingerprint)) ?? s.FindLatestAlert(groupKey, alert.Fingerprint);
            if (known is not { } was || was.Status == AlertStatus.Resolved || alert.StartsAt < was.StartsAt)
            {
                // Never seen firing, already resolved, or a stale resolution of an earlier episode.
                _unchanged++;
                return false;
            }

            var ended = alert.EndsAt is { } end && end < s.Now ? end : s.Now;
            var resolved = alert with { EndsAt = ended };
            // The group's incident, or an earlier one of the group (usually resolved) that holds the alert: each keeps its own tally.
            var holder = incident?.Number == was.IncidentNumber
                ? incident
                : _toSave.GetValueOrDefault(was.IncidentNumber) ?? s.GetIncident(was.IncidentNumber)!;
            Store(holder, groupKey, resolved, was.Status);
            Add(was.IncidentNumber, Change.Resolved, resolved);
            _changed++;
            return true;
        }

        private KnownAlert? KnownIn(Incident incident, string fingerprint) =>
            incident.Number == _knownIn && _known.TryGetValue(fingerprint, out var known) ? known : null;

        /// <summary>Stores an alert of an incident and counts it there; the incident is saved once, after the group.</summary>
        private void Store(Incident incident, string groupKey, Alert alert, AlertStatus? before)
        {
            s.UpsertAlert(incident.Number, groupKey, alert, isNew: before is null);
            if (incident.Number == _knownIn)
            {
                _known[alert.Fingerprint] = new KnownAlert(incident.Number, alert.Status, alert.StartsAt);
            }

            incident.TallyAlert(alert, before, s.Now);
            _toSave[incident.Number] = incident;
        }

        private void Add(long incident, Change change, Alert alert)
        {
            var at = change == Change.Resolved ? alert.EndsAt!.Value : alert.StartsAt < s.Now ? alert.StartsAt : s.Now;
            if (!_changes.TryGetValue((incident, change), out var list))
            {
                _changes[(incident, change)] = list = [];
            }

            list.Add((alert, at));
            if (change != Change.Opened)
            {
                _updated.Add(incident);
            }
        }

        /// <summary>
        /// Writes one timeline entry per incident and kind of change, at the earliest time among its alerts, then
        /// the "incident opened" entries (so that, at equal times, the alerts come first).
        /// </summary>
        private void Flush()
        {
            foreach (var ((incident, change), alerts) in _changes)
            {
                var (kind, verb) = change switch
                {
                    Change.Opened => (TimelineKind.AlertFiring, "firing"),
                    Change.Joined => (TimelineKind.AlertFiring, "joined"),
                    Change.FiringAgain => (TimelineKind.AlertFiring, "firing again"),
                    _ => (TimelineKind.AlertResolved, "resolved"),
                };
                var at = alerts.Min(a => a.At);
                s.AppendTimeline(incident, new TimelineEntry(at, kind, _source, AlertListText.Describe(verb, alerts.Select(a => a.Alert).ToList())));
            }

            _changes.Clear();
            foreach (var (incident, entry) in _openings)
            {
                s.AppendTimeline(incident, entry);
            }

            _openings.Clear();
        }
    }
}
