using Bot.Core.Alerts;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>
/// Escalation policies on incidents. Every change runs inside the caller's unit of work: an escalation's state and
/// its next timer (an outbox job due when the step fires) are stored together, so a restart resumes every wait, and a
/// step's job key (incident, policy, run, cycle, step) makes each step fire once, however often its job is retried.
/// </summary>
public sealed class Escalator(IOptions<EscalationOptions> options)
{
    private readonly Lazy<Routing> _routing = new(() => new Routing(options.Value.Routes));

    public EscalationOptions Options => options.Value;

    public Routing.Decision Route(LabelSet labels, Severity severity) => _routing.Value.Route(labels, severity);

    public static string StepKey(long incident, string policy, int run, int cycle, int step) => $"{Incident.FormatKey(incident)}:esc:{policy}:r{run}:c{cycle}:s{step}";

    /// <summary>A <see cref="StepKey"/> read back: the policy, its run and the step's index; null for another text.</summary>
    public static (string Policy, int Run, int Step)? ParseStepKey(string key)
    {
        var parts = key.Split(':');
        static int? Number(string part, char prefix) =>
            part.Length > 1 && part[0] == prefix && int.TryParse(part.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        return parts.Length >= 6 && parts[1] == "esc" && Number(parts[^3], 'r') is { } run && Number(parts[^1], 's') is { } step
            ? (string.Join(':', parts[2..^3]), run, step)
            : null;
    }

    /// <summary>Counts a person paged at the step of <paramref name="stepKey"/> on <paramref name="channel"/> (a metric).</summary>
    public static void CountPage(string stepKey, string channel)
    {
        var step = ParseStepKey(stepKey);
        Telemetry.BotTelemetry.Pages.Add(
            1, Telemetry.BotTelemetry.Tag("policy", step?.Policy ?? "unknown"), Telemetry.BotTelemetry.Tag("step", step?.Step ?? 0), Telemetry.BotTelemetry.Tag("channel", channel));
    }

    /// <summary>Starts a policy on the incident unless it is already running there; false when it was.</summary>
    public bool Start(IEscalationSession s, Incident incident, string policy, Actor by, string why)
    {
        var current = s.GetEscalations(incident.Number).FirstOrDefault(e => e.Policy.Equals(policy, StringComparison.OrdinalIgnoreCase));
        if (current is { IsActive: true })
        {
            return false;
        }

        var state = new EscalationState(incident.Number, policy, (current?.Run ?? 0) + 1, EscalationState.Active, 0, 0, [], s.Now);
        s.SaveEscalation(state);
        s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, by, $"Escalation policy {policy} started: {why}"));
        EnqueueStep(s, state, s.Now);
        return true;
    }

    /// <summary>Starts a policy on the incident only if it never ran there (running, acknowledged or over); false when it did.</summary>
    public bool StartIfNew(IEscalationSession s, Incident incident, string policy, Actor by, string why) =>
        !s.HasRun(incident.Number, policy) && Start(s, incident, policy, by, why);

    /// <summary>
    /// Stops the escalations the person was paged by or is on the team of; when they are on none, every running one
    /// (whoever acknowledges the incident takes it). Returns the policies stopped.
    /// </summary>
    public IReadOnlyList<string> Acknowledge(IEscalationSession s, Incident incident, Actor by)
    {
        var active = s.GetEscalations(incident.Number).Where(e => e.IsActive).ToList();
        var theirs = active.Where(e => e.Paged.Contains(by.Id) || TeamsOf(e.Policy).Any(t => t.Members.Any(m => m.Id == by.Id))).ToList();
        var stopped = theirs.Count > 0 ? theirs : active;
        foreach (var e in stopped)
        {
            s.SaveEscalation(e with { Status = EscalationState.Acknowledged });
        }

        if (stopped.Count > 0)
        {
            var names = string.Join(", ", stopped.Select(e => e.Policy));
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, by, $"{by.Name} acknowledged the page; escalation stopped: {names}."));
        }

        return stopped.Select(e => e.Policy).ToList();
    }

    /// <summary>Fires the next step of every running escalation now; returns the policies moved on.</summary>
    public IReadOnlyList<string> EscalateNow(IEscalationSession s, Incident incident, Actor by)
    {
        var moved = new List<string>();
        foreach (var e in s.GetEscalations(incident.Number).Where(e => e.IsActive))
        {
            if (s.RescheduleJob(StepKey(e.Incident, e.Policy, e.Run, e.Cycle, e.Step), s.Now))
            {
                moved.Add(e.Policy);
            }
        }

        if (moved.Count > 0)
        {
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, by, $"{by.Name} escalated: the next step of {string.Join(", ", moved)} fires now."));
        }

        return moved;
    }

    /// <summary>
    /// Runs a due step: pages its targets (a page job per person, a mention in the channel, a timeline entry), and
    /// schedules the next step, the next round, or the exhaustion. A stale job (acknowledged, resolved, already moved
    /// on) does nothing.
    /// </summary>
    public void RunStep(IEscalationSession s, EscalationStepJob job)
    {
        var incident = s.GetIncident(job.Incident);
        var state = s.GetEscalations(job.Incident).FirstOrDefault(e => e.Policy == job.Policy);
        if (incident is null || state is null || !state.IsActive || (state.Run, state.Cycle, state.Step) != (job.Run, job.Cycle, job.Step))
        {
            return;
        }

        if (!incident.IsOpen)
        {
            s.SaveEscalation(state with { Status = EscalationState.Stopped });
            return;
        }

        if (Options.FindPolicy(state.Policy) is not { } policy)
        {
            s.SaveEscalation(state with { Status = EscalationState.Stopped });
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, Actor.Bot, $"Escalation policy {state.Policy} is no longer configured; its escalation stops."));
            return;
        }

        var rounds = policy.Repeat + 1;
        if (state.Step >= policy.Steps.Count)
        {
            var fallback = Page(s, incident, state, policy.Fallback, "fallback");
            var told = $"Nobody acknowledged after {policy.Steps.Count} step{(policy.Steps.Count == 1 ? "" : "s")}" +
                       $"{(rounds > 1 ? $" in {rounds} rounds" : "")} of policy {state.Policy}: escalation exhausted" +
                       (fallback.Count > 0 ? $"; paged the fallback: {string.Join(", ", fallback.Select(p => $"{p.User} ({p.Why})"))}." : " and it has no fallback.");
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, Actor.Bot, told));
            s.Enqueue(new PostTextJob(incident.Number, $":rotating_light: {told}", false, $"{StepKey(state.Incident, state.Policy, state.Run, state.Cycle, state.Step)}:exhausted"));
            s.SaveEscalation(state with { Status = EscalationState.Exhausted, Paged = [.. state.Paged.Union(fallback.Select(p => p.User))] });
            return;
        }

        var step = policy.Steps[state.Step];
        var where = $"step {state.Step + 1} of {policy.Steps.Count}{(rounds > 1 ? $", round {state.Cycle + 1} of {rounds}" : "")} ({state.Policy} policy)";
        if (step.ContinueIf is { Length: > 0 } condition && AlertCondition.Parse(condition) is var needed
            && s.CountAlertsSince(incident.Number, s.Now - needed.Within) is var arrived && arrived < needed.Alerts)
        {
            var why = $"Escalation policy {state.Policy} stops before {where}: it continues only on {needed}, and {arrived} arrived.";
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, Actor.Bot, why));
            s.SaveEscalation(state with { Status = EscalationState.Stopped });
            return;
        }

        if (step.Window is { Length: > 0 } window && TimeWindow.Parse(window) is var applies && !applies.Contains(s.Now))
        {
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Escalation, Actor.Bot, $"Skipped {where}: outside its window, {applies}."));
            var skipped = Advance(state, policy);
            s.SaveEscalation(skipped);
            EnqueueStep(s, skipped, s.Now); // the next step at once
            return;
        }

        var paged = Page(s, incident, state, step.Targets, where);
        var wait = Durations.Parse(step.Wait) ?? TimeSpan.Zero;
        var next = Advance(state, policy) with { Paged = [.. state.Paged.Union(paged.Select(p => p.User))] };
        s.SaveEscalation(next);
        EnqueueStep(s, next, s.Now + wait);
    }

    /// <summary>The state after a step: the next step, the next round's first, or past the last (exhaustion next).</summary>
    private static EscalationState Advance(EscalationState state, PolicyOptions policy) =>
        state.Step + 1 < policy.Steps.Count ? state with { Step = state.Step + 1 }
        : state.Cycle + 1 < policy.Repeat + 1 ? state with { Cycle = state.Cycle + 1, Step = 0 }
        : state with { Step = policy.Steps.Count };

    /// <summary>The people a target list names at this moment, with why each is paged (e.g. "network on-call").</summary>
    public IReadOnlyList<(string User, string Why)> Resolve(
        IEnumerable<string> targets, DateTimeOffset at, List<string>? groupMentions = null, Func<string, IReadOnlyList<OverrideOptions>>? taken = null)
    {
        var people = new List<(string User, string Why)>();
        foreach (var target in targets)
        {
            var (kind, value) = Target.Split(target);
            switch (kind)
            {
                case "oncall" when Options.Teams.TryGetValue(value, out var team):
                    if (OnCall.Who(team, at, taken?.Invoke(value)) is { } shift)
                    {
                        people.Add((shift.User, $"{value} on-call"));
                    }
                    else
                    {
                        people.AddRange(team.Members.Select(m => (m.Id, $"{value}, no one on call")));
                    }

                    break;
                case "team" when Options.Teams.TryGetValue(value, out var team):
                    people.AddRange(team.Members.Select(m => (m.Id, value)));
                    break;
                case "usergroup":
                    var owner = Options.Teams.FirstOrDefault(t => string.Equals(t.Value.UserGroup, value, StringComparison.OrdinalIgnoreCase));
                    if (owner.Value is not null)
                    {
                        people.AddRange(owner.Value.Members.Select(m => (m.Id, $"{owner.Key} group")));
                    }
                    else
                    {
                        groupMentions?.Add(value); // unknown members: the group is mentioned in the channel
                    }

                    break;
                case "user":
                    people.Add((value, "named in the policy"));
                    break;
            }
        }

        return people.DistinctBy(p => p.User).ToList();
    }

    public string NameOf(string user) => Options.NameOf(user);

    /// <summary>Enqueues the pages of one step and notes them; returns who was paged.</summary>
    private IReadOnlyList<(string User, string Why)> Page(IEscalationSession s, Incident incident, EscalationState state, IEnumerable<string> targets, string where)
    {
        var groups = new List<string>();
        var people = Resolve(targets, s.Now, groups, team => s.GetOverrides(team, s.Now)).ToList();
        var wholeChannel = false;
        var hooks = new List<string>();
        foreach (var (kind, value) in targets.Select(Target.Split))
        {
            if (kind == "roundrobin" && Options.Teams.TryGetValue(value, out var team) && team.Members.Count > 0)
            {
                // One member per page, taking turns across incidents: the turn is counted in the store.
                var member = team.Members[(int)((s.TakeTurn($"roundrobin:{value.ToLowerInvariant()}") - 1) % team.Members.Count)];
                if (people.All(p => p.User != member.Id))
                {
                    people.Add((member.Id, $"{value}, next in turn"));
                }
            }

            wholeChannel |= kind == "" && value.Equals("channel", StringComparison.OrdinalIgnoreCase);
            if (kind == "webhook" && Options.OutgoingWebhooks.ContainsKey(value))
            {
                s.Enqueue(new OutgoingWebhookJob(incident.Number, value, StepKey(state.Incident, state.Policy, state.Run, state.Cycle, state.Step)));
                hooks.Add(value);
            }
        }

        var key = StepKey(state.Incident, state.Policy, state.Run, state.Cycle, state.Step);
        foreach (var (user, why) in people)
        {
            EnqueuePage(s, incident, key, user, why, where);
        }

        // A user group no team owns: who is in it is asked of the chat when its job runs, and each member is paged then.
        foreach (var group in groups)
        {
            s.Enqueue(new PageGroupJob(incident.Number, state.Policy, state.Run, state.Cycle, state.Step, group, where));
        }

        var described = people.Select(p => $"{NameOf(p.User)} ({p.Why})").Concat(groups.Select(g => $"user group {g}"))
            .Concat(wholeChannel ? ["everyone in the incident's channel"] : []).Concat(hooks.Select(h => $"webhook {h}")).ToList();
        if (described.Count == 0)
        {
            s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Page, Actor.Bot, $"Nobody to page at {where}: no one resolved from {string.Join(", ", targets)}."));
            return [];
        }

        s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Page, Actor.Bot, $"Paged {string.Join(", ", described)}, {where}."));
        var mentions = string.Join(" ", (wholeChannel ? ["<!channel>"] : Array.Empty<string>()).Concat(people.Select(p => ChatMarkup.User(p.User))).Concat(groups.Select(ChatMarkup.Group)));
        s.Enqueue(new PostTextJob(incident.Number, $":pager: {mentions} paged for {incident.Key}, {where}. Acknowledge with the button or /incident ack.", false, $"{key}:mention"));
        return people;
    }

    /// <summary>
    /// Pages the members of a user group for the step that named it, unless that escalation has stopped meanwhile
    /// (acknowledged, resolved): a DM and an invite each, keyed like the step's own pages, so that a person paged
    /// directly and through the group at one step is paged once. Returns who was paged.
    /// </summary>
    public IReadOnlyList<string> PageGroupMembers(IEscalationSession s, PageGroupJob job, IReadOnlyList<string> members)
    {
        var incident = s.GetIncident(job.Incident);
        var state = s.GetEscalations(job.Incident).FirstOrDefault(e => e.Policy == job.Policy);
        if (incident is not { IsOpen: true } || state is not { IsActive: true } || state.Run != job.Run)
        {
            return [];
        }

        var key = StepKey(job.Incident, job.Policy, job.Run, job.Cycle, job.Step);
        var people = members.Distinct(StringComparer.Ordinal).ToList();
        foreach (var user in people)
        {
            EnqueuePage(s, incident, key, user, $"member of user group {job.Group}", job.Where);
        }

        var text = people.Count == 0
            ? $"User group {job.Group} has no members: nobody paged through it at {job.Where}."
            : $"Paged {string.Join(", ", people.Select(NameOf))} (user group {job.Group}), {job.Where}.";
        s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Page, Actor.Bot, text));
        s.SaveEscalation(state with { Paged = [.. state.Paged.Union(people)] });
        return people;
    }

    /// <summary>
    /// Pages a person by their rules: the chat message at once (if their rules have it), each other channel as a job due
    /// when its rule says, which an acknowledgement before then stops; and an invitation to the channel.
    /// </summary>
    private void EnqueuePage(IEscalationSession s, Incident incident, string stepKey, string user, string why, string where)
    {
        s.RecordPage(stepKey, user, incident.Number, ParseStepKey(stepKey)!.Value.Policy, s.Now);
        var rules = NotificationRule.For(Options, s.GetNotificationRules(user), user, incident.Severity);
        for (var i = 0; i < rules.Count; i++)
        {
            if (rules[i].Channel == NotificationRule.Chat)
            {
                var text = $"You are paged for {incident.Key} ({incident.Severity.Display()}): {incident.Title}. You are paged as {why}, {where}.";
                s.Enqueue(new PageJob(incident.Number, user, text, stepKey)); // the DM goes at once
            }
            else
            {
                s.Enqueue(new NotifyJob(incident.Number, user, rules[i].Channel, i, stepKey, (s.Now + rules[i].After).ToUnixTimeMilliseconds()));
            }
        }

        s.Enqueue(new InviteJob(incident.Number, user, stepKey)); // after the channel exists
    }

    private static void EnqueueStep(IEscalationSession s, EscalationState state, DateTimeOffset due) =>
        s.Enqueue(new EscalationStepJob(state.Incident, state.Policy, state.Run, state.Cycle, state.Step, due.ToUnixTimeMilliseconds()));

    /// <summary>The teams a policy pages (its oncall: and team: targets), and the team named like it.</summary>
    private IEnumerable<TeamOptions> TeamsOf(string policy) =>
        (Options.FindPolicy(policy)?.Steps ?? []).SelectMany(st => st.Targets).Select(Target.Split)
            .Where(t => t.Kind is "oncall" or "team").Select(t => t.Value).Append(policy)
            .Select(Options.Teams.GetValueOrDefault).OfType<TeamOptions>();
}
