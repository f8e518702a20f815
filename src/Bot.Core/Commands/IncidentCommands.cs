using System.Text;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Tasks;

namespace Bot.Core.Commands;

/// <summary>
/// Runs <c>/incident</c> commands. Each one that changes something runs in one unit of work: it changes the incident,
/// writes the timeline entry (who, when) and enqueues its messages together, or, when refused, changes nothing.
/// </summary>
public sealed class IncidentCommands(
    IUnitOfWork<ICommandSession> store, IIncidentReads reads, IncidentRules rules, TimeProvider time, IIssueTracker? tracker = null, Escalator? escalator = null,
    CommandPermissions? permissions = null)
{
    private readonly CommandPermissions _permissions = permissions ?? new CommandPermissions(
        Microsoft.Extensions.Options.Options.Create(rules.Options), escalator is null ? null : Microsoft.Extensions.Options.Options.Create(escalator.Options));

    /// <summary>How long <c>tasks</c> waits for the tracker's current states before showing the stored ones.</summary>
    public static readonly TimeSpan TaskStateWait = TimeSpan.FromSeconds(2);

    /// <summary>Commands that stay allowed once the incident is resolved: the postmortem is written afterwards.</summary>
    private static readonly HashSet<string> AfterResolution = ["note", "impact", "cause", "resolution", "reopen", "timeline", "postmortem", "task", "tasks"];

    /// <summary>Runs what was typed after the command name.</summary>
    public Task<CommandReply> ExecuteAsync(string text, CommandContext context, CancellationToken cancellationToken = default) =>
        GuardedAsync(() => RunAsync(CommandParser.Parse(text, time.GetUtcNow(), rules.CommandName), context, cancellationToken));

    /// <summary>
    /// Runs a command built by a form (Slack's declare modal) instead of typed: the same checks and the same unit of work.
    /// </summary>
    public Task<CommandReply> ExecuteAsync(IncidentCommand command, CommandContext context, CancellationToken cancellationToken = default) =>
        GuardedAsync(() => RunAsync(command, context, cancellationToken));

    private static async Task<CommandReply> GuardedAsync(Func<Task<CommandReply>> run)
    {
        try
        {
            return await run();
        }
        catch (CommandException e)
        {
            return new CommandReply(e.Outcome, e.Message);
        }
        catch (IncidentTransitionException e)
        {
            return new CommandReply(CommandOutcome.Conflict, e.Message);
        }
        catch (ArgumentException e)
        {
            return new CommandReply(CommandOutcome.Invalid, e.Message);
        }
    }

    /// <summary>A person's name in the settings (a team member's, <c>People</c>'s), or null.</summary>
    private string? KnownName(string user) => escalator?.Options.NameOf(user) is { } name && name != user ? name : null;

    private async Task<CommandReply> RunAsync(IncidentCommand parsed, CommandContext context, CancellationToken cancellationToken)
    {
        parsed = parsed with { Text = CommandParser.ReadableMentions(parsed.Text, KnownName) };
        var command = rules.CommandName;
        var spec = CommandCatalog.Find(parsed.Name) ?? throw new CommandException($"Unknown command '{parsed.Name}'.");
        if (spec.InIncidentChannel && context.IncidentNumber is null)
        {
            throw new CommandException($"{command} {parsed.Name} works in an incident's channel. {command} list shows the open incidents.");
        }

        if (_permissions.Refusal(parsed.Name, context.User, context.UserGroups, null) is not null)
        {
            // The incident's lead may be among those allowed: read it only then.
            var incident = context.IncidentNumber is { } number && _permissions.WhoMay(parsed.Name).Contains(CommandPermissions.Lead)
                ? await reads.GetIncidentAsync(number, cancellationToken)
                : null;
            if (_permissions.Refusal(parsed.Name, context.User, context.UserGroups, incident) is { } refusal)
            {
                throw new CommandException(refusal, CommandOutcome.Forbidden);
            }
        }

        return parsed.Name switch
        {
            "help" => new CommandReply(CommandOutcome.Done, CommandCatalog.Help(command)),
            "list" => await ListAsync(cancellationToken),
            "timeline" => await TimelineAsync(context.IncidentNumber!.Value, cancellationToken),
            "declare" => await store.WriteInteractiveAsync(s => Declare(s, parsed, context), cancellationToken),
            "postmortem" => await store.WriteInteractiveAsync(s => RequestPostmortem(s, context), cancellationToken),
            "task" => await store.WriteInteractiveAsync(s => AddTask(s, parsed, context), cancellationToken),
            "tasks" => await TasksAsync(context.IncidentNumber!.Value, cancellationToken),
            "oncall" when parsed.Role == "override" => await store.WriteInteractiveAsync(s => TakeOverride(s, parsed, context), cancellationToken),
            "oncall" => await store.WriteInteractiveAsync(s => WhoIsOnCall(s, parsed.Team), cancellationToken),
            "notify" => await store.WriteInteractiveAsync(s => Notify(s, parsed.Text ?? "", context.User), cancellationToken),
            "page" => await store.WriteInteractiveAsync(s => PageTeam(s, parsed, context), cancellationToken),
            "escalate" => await store.WriteInteractiveAsync(s => EscalateNow(s, context), cancellationToken),
            _ => await store.WriteInteractiveAsync(s => Act(s, parsed, context), cancellationToken),
        };
    }

    private CommandReply Declare(ICommandSession s, IncidentCommand command, CommandContext context)
    {
        var severity = command.Severity ?? rules.DefaultSeverity;
        var team = command.Team is null ? "" : $" for the {command.Team} team";
        var (incident, opened) = Incident.Open(
            command.Text!, severity, "manual", $"manual:{Guid.NewGuid():n}", context.User, $"{context.User.Name} declared the incident{team}.", s.Now);
        s.InsertIncident(incident);
        s.AppendTimeline(incident.Number, opened);
        IncidentOpening.EnqueueEffects(s, incident, rules.UpdateEvery);
        var paging = "";
        if (command.Team is { } paged && escalator is not null && escalator.Options.Teams.ContainsKey(paged))
        {
            escalator.Start(s, incident, escalator.Options.PolicyNameOfTeam(paged), context.User, $"{context.User.Name} declared the incident for the {paged} team.");
            paging = $" Paging {paged}.";
        }

        return new CommandReply(CommandOutcome.Done, $"Declared {incident.Key} ({severity.Display()}): {incident.Title}. Its channel is on its way.{paging}", Public: true);
    }

    private CommandReply Act(ICommandSession s, IncidentCommand command, CommandContext context)
    {
        var incident = Require(s, context);
        var number = incident.Number;
        if (!incident.IsOpen && !AfterResolution.Contains(command.Name))
        {
            throw new CommandException($"{incident.Key} is resolved; {command.Name} needs an open incident. Reopen it first if it is not over.", CommandOutcome.Conflict);
        }

        var by = context.User;
        var now = s.Now;
        if (command.Name == "ack" && incident.Status != IncidentStatus.Triggered && escalator?.Acknowledge(s, incident, by) is { Count: > 0 } stopped)
        {
            // Already acknowledged by someone else: this acknowledgement stops the escalation that paged this person.
            return new CommandReply(CommandOutcome.Done, $"{incident.Key}: {by.Name} acknowledged; escalation stopped: {string.Join(", ", stopped)}.", Public: true);
        }

        var entry = command.Name switch
        {
            "ack" => incident.Acknowledge(by, now),
            "status" => incident.SetProgress(command.Text!, by, now),
            "mitigated" => incident.Mitigate(by, now),
            "resolve" => incident.Resolve(by, now, command.Text),
            "reopen" => incident.Reopen(by, now),
            "sev" => incident.SetSeverity(command.Severity!.Value, by, now)
                ?? throw new CommandException($"{incident.Key} is already {incident.Severity.Display()}.", CommandOutcome.Conflict),
            "title" => incident.Retitle(command.Text!, by, now),
            "lead" => incident.AssignLead(Person(command.User!), by, now),
            "role" => incident.AssignRole(command.Role!, Person(command.User!), by, now),
            "update" => incident.PostUpdate(command.Text!, by, now),
            "impact" => incident.SetImpact(command.Text!, by, now),
            "cause" => incident.SetCause(command.Text!, by, now),
            "resolution" => incident.SetResolution(command.Text!, by, now),
            "note" => new TimelineEntry(command.At ?? now, TimelineKind.Note, by, command.Text!),
            _ => throw new CommandException($"Unknown command '{command.Name}'."),
        };

        s.AppendTimeline(number, entry);
        if (command.Name == "ack")
        {
            escalator?.Acknowledge(s, incident, by);
        }

        if (command.Name != "note")
        {
            s.UpdateIncident(incident);
            IncidentOpening.Changed(s, number);
        }

        // The draft is written on resolve, and written again when what it says changes afterwards.
        if (command.Name == "resolve" || (!incident.IsOpen && command.Name is "impact" or "cause" or "resolution"))
        {
            s.Enqueue(PublishPostmortemJob.For(number, now));
        }

        if (command.Name is "update" or "reopen")
        {
            UpdateReminderJob.Schedule(s, incident, rules.UpdateEvery);
        }

        if (command.Name == "update")
        {
            var stamp = now.ToUnixTimeMilliseconds();
            var text = $"Update on {incident.Key} ({incident.Severity.Display()}, {incident.Status.Name()}) from {by.Name}: {command.Text}";
            s.Enqueue(new PostTextJob(number, text, false, $"{incident.Key}:update:{stamp}:channel"));
            s.Enqueue(new PostTextJob(number, text, true, $"{incident.Key}:update:{stamp}:announce"));
        }

        var backdated = command.At is { } at ? $" at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "";
        return new CommandReply(CommandOutcome.Done, $"{incident.Key}: {entry.Text}{backdated}", Public: command.Name != "note");
    }

    private static CommandReply RequestPostmortem(ICommandSession s, CommandContext context)
    {
        var incident = Require(s, context);
        s.Enqueue(PublishPostmortemJob.For(incident.Number, s.Now));
        return new CommandReply(CommandOutcome.Done, $"Writing the postmortem draft of {incident.Key}; its link will be posted here.");
    }

    private static CommandReply AddTask(ICommandSession s, IncidentCommand command, CommandContext context)
    {
        var incident = Require(s, context);
        var task = s.AddTask(incident.Number, new IncidentTask(command.Role!, command.Text!, Assignee: command.User?.Id));
        var forWhom = command.User is { } user ? $" for {user.Display}" : "";
        s.AppendTimeline(incident.Number, new TimelineEntry(s.Now, TimelineKind.Task, context.User, $"{context.User.Name} added {command.Role} task {task.Number}{forWhom}: {command.Text}"));
        s.Enqueue(new FileTaskJob(incident.Number, task.Number));
        return new CommandReply(CommandOutcome.Done, $"{incident.Key}: {command.Role} task {task.Number}{forWhom}: {command.Text}. Filing it as an issue; the link will be posted here.", Public: true);
    }

    /// <summary>
    /// <c>/incident notify</c>: a person's own notification rules, stored (they win over <c>People:&lt;id&gt;</c> in the
    /// settings until <c>reset</c>). Their contact addresses stay in the settings: a rule needs its channel's address there.
    /// </summary>
    private CommandReply Notify(ICommandSession s, string text, Actor who)
    {
        var options = escalator?.Options ?? new EscalationOptions();
        var person = options.People.GetValueOrDefault(who.Id);
        var stored = s.GetNotificationRules(who.Id);
        var words = text.Trim();
        if (words.Equals("reset", StringComparison.OrdinalIgnoreCase))
        {
            s.SaveNotificationRules(who.Id, null);
            return new CommandReply(CommandOutcome.Done, $"Your rules are the settings' again.\n{DescribeRules(options, s.GetNotificationRules(who.Id), who.Id)}");
        }

        if (words.Length == 0)
        {
            return new CommandReply(CommandOutcome.Done, DescribeRules(options, stored, who.Id));
        }

        if (words.Equals("test", StringComparison.OrdinalIgnoreCase))
        {
            return TestPages(s, options, stored, who);
        }

        var important = words.StartsWith("important", StringComparison.OrdinalIgnoreCase) && (words.Length == 9 || char.IsWhiteSpace(words[9]));
        var list = important ? words[9..] : words;
        var chosen = new List<NotificationRule>();
        foreach (var part in list.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                chosen.Add(NotificationRule.Parse(part));
            }
            catch (FormatException e)
            {
                throw new CommandException($"{e.Message} {CommandCatalog.Find("notify")!.Usage(rules.CommandName)}");
            }
        }

        if (chosen.Count == 0)
        {
            throw new CommandException($"Give at least one rule, e.g. chat, sms 2m. {CommandCatalog.Find("notify")!.Usage(rules.CommandName)}");
        }

        foreach (var rule in chosen)
        {
            if (PersonOptions.MissingAddress(person, who.Id, rule.Channel) is { } missing)
            {
                throw new CommandException($"{char.ToUpperInvariant(missing[0])}{missing[1..]}.");
            }
        }

        var texts = chosen.Select(r => r.ToString()).ToList();
        var current = stored ?? new StoredRules(null, null);
        s.SaveNotificationRules(who.Id, important ? current with { Important = texts } : current with { Notify = texts });
        return new CommandReply(CommandOutcome.Done, $"Saved.\n{DescribeRules(options, s.GetNotificationRules(who.Id), who.Id)}");
    }

    /// <summary>
    /// <c>/incident notify test</c>: a test page on each channel of the person's rules (everyday and SEV1-2), now, with no
    /// incident; a channel they have no address for is said at once, a provider's refusal by direct message.
    /// </summary>
    private static CommandReply TestPages(ICommandSession s, EscalationOptions options, StoredRules? stored, Actor who)
    {
        var person = options.People.GetValueOrDefault(who.Id);
        var channels = NotificationRule.For(options, stored, who.Id, Severity.Sev3).Concat(NotificationRule.For(options, stored, who.Id, Severity.Sev1))
            .Select(r => r.Channel).Distinct(StringComparer.Ordinal).ToList();
        var asked = s.Now.ToUnixTimeMilliseconds();
        var sent = new List<string>();
        var missing = new List<string>();
        foreach (var channel in channels)
        {
            if (PersonOptions.MissingAddress(person, who.Id, channel) is { } why)
            {
                missing.Add($"{channel}: {why}");
                continue;
            }

            s.Enqueue(new TestPageJob(who.Id, channel, asked));
            sent.Add(channel);
        }

        var text = sent.Count == 0 ? "No test page sent." : $"Sending you a test page by {string.Join(", ", sent)}: each should reach you within a minute; one its provider refuses is told to you by direct message.";
        return new CommandReply(sent.Count > 0 ? CommandOutcome.Done : CommandOutcome.Invalid, missing.Count == 0 ? text : $"{text} Not by {string.Join("; ", missing)}.");
    }

    private static string DescribeRules(EscalationOptions options, StoredRules? stored, string user)
    {
        string Line(Severity severity) => string.Join(", ", NotificationRule.For(options, stored, user, severity));
        return $"You are paged by: {Line(Severity.Sev3)}; for SEV1 and SEV2: {Line(Severity.Sev1)}.";
    }

    /// <summary>
    /// <c>/incident oncall override @bob 4h [team]</c>: bob is on call for the team from now for that long, before the
    /// rotation and the settings' overrides. Taken by a member of the team (for themselves or a teammate); the team can
    /// be left out when the caller is in one team only.
    /// </summary>
    private CommandReply TakeOverride(ICommandSession s, IncidentCommand command, CommandContext context)
    {
        var teams = escalator?.Options.Teams ?? [];
        var mine = teams.Where(t => t.Value.Members.Any(m => m.Id == context.User.Id)).Select(t => t.Key).ToList();
        var team = command.Team ?? (mine.Count == 1 ? mine[0] : throw new CommandException(
            mine.Count == 0 ? "You are in no team; name the team: oncall override @user 4h <team>." : $"You are in several teams ({string.Join(", ", mine)}); name one."));
        if (!teams.TryGetValue(team, out var options))
        {
            throw new CommandException($"No team is named '{team}'. Teams: {string.Join(", ", teams.Keys.Order())}.", CommandOutcome.NotFound);
        }

        if (!mine.Contains(team, StringComparer.OrdinalIgnoreCase))
        {
            throw new CommandException($"Only a member of {team} may change who is on call for it.", CommandOutcome.Forbidden);
        }

        var length = Durations.Parse(command.Text)!.Value;
        var over = new OverrideOptions { User = command.User!.Id, From = s.Now, To = s.Now + length };
        s.AddOverride(team, over);
        s.Enqueue(new HandoffJob(team, s.Now.ToUnixTimeMilliseconds(), Announce: true)); // the taker is told, the group follows
        return new CommandReply(
            CommandOutcome.Done,
            $"{ChatMarkup.User(command.User.Id)} is on call for {team} from now until {over.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC (override by {context.User.Name}).",
            Public: true);
    }

    private CommandReply WhoIsOnCall(ICommandSession s, string? team)
    {
        var teams = escalator?.Options.Teams ?? [];
        if (teams.Count == 0)
        {
            return new CommandReply(CommandOutcome.Done, "No teams are configured (setting Teams), so nobody is on call through the bot.");
        }

        if (team is not null && !teams.ContainsKey(team))
        {
            throw new CommandException($"No team is named '{team}'. Teams: {string.Join(", ", teams.Keys.Order())}.", CommandOutcome.NotFound);
        }

        var now = s.Now;
        var lines = teams.Where(t => team is null || t.Key.Equals(team, StringComparison.OrdinalIgnoreCase)).OrderBy(t => t.Key).Select(t =>
            OnCall.Who(t.Value, now, s.GetOverrides(t.Key, now)) is { } shift
                ? $"{t.Key}: {ChatMarkup.User(shift.User)}{(shift.Override ? " (override)" : "")}{(shift.Until is { } until ? $" until {until.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "")}"
                : $"{t.Key}: no rotation; paging it pages every member");
        return new CommandReply(CommandOutcome.Done, $"On call now:\n{string.Join("\n", lines)}");
    }

    private CommandReply PageTeam(ICommandSession s, IncidentCommand command, CommandContext context)
    {
        var incident = OpenIncident(s, context, "page");
        if (escalator is null || !escalator.Options.Teams.ContainsKey(command.Team!))
        {
            var known = escalator?.Options.Teams.Keys.Order().ToList() ?? [];
            throw new CommandException(
                known.Count == 0 ? "No teams are configured (setting Teams), so there is nobody to page." : $"No team is named '{command.Team}'. Teams: {string.Join(", ", known)}.",
                CommandOutcome.NotFound);
        }

        var policy = escalator.Options.PolicyNameOfTeam(command.Team!);
        var why = $"{context.User.Name} paged {command.Team}{(command.Text is null ? "." : $": {command.Text}")}";
        return escalator.Start(s, incident, policy, context.User, why)
            ? new CommandReply(CommandOutcome.Done, $"{incident.Key}: paging {command.Team} through policy {policy}.", Public: true)
            : throw new CommandException($"{command.Team} is already being paged on {incident.Key} (policy {policy}); {rules.CommandName} escalate fires its next step now.", CommandOutcome.Conflict);
    }

    private CommandReply EscalateNow(ICommandSession s, CommandContext context)
    {
        var incident = OpenIncident(s, context, "escalate");
        var moved = escalator?.EscalateNow(s, incident, context.User) ?? [];
        return moved.Count > 0
            ? new CommandReply(CommandOutcome.Done, $"{incident.Key}: escalating {string.Join(", ", moved)} to the next step now.", Public: true)
            : throw new CommandException($"No escalation is running on {incident.Key}. {rules.CommandName} page <team> pages a team.", CommandOutcome.Conflict);
    }

    /// <summary>The incident whose channel the command was typed in.</summary>
    private static Incident Require(ICommandSession s, CommandContext context) =>
        Exists(s.GetIncident(context.IncidentNumber!.Value), context.IncidentNumber!.Value);

    private static Incident Exists(Incident? incident, long number) =>
        incident ?? throw new CommandException($"{Incident.FormatKey(number)} does not exist.", CommandOutcome.NotFound);

    private static Incident OpenIncident(ICommandSession s, CommandContext context, string what)
    {
        var incident = Require(s, context);
        return incident.IsOpen ? incident : throw new CommandException($"{incident.Key} is resolved; {what} needs an open incident.", CommandOutcome.Conflict);
    }

    private async Task<CommandReply> TasksAsync(long number, CancellationToken cancellationToken)
    {
        var incident = Exists(await reads.GetIncidentAsync(number, cancellationToken), number);
        var tasks = await reads.GetTasksAsync(number, cancellationToken);
        if (tasks.Count == 0)
        {
            return new CommandReply(CommandOutcome.Done, $"{incident.Key} has no tasks yet. Add one: {rules.CommandName} task [corrective|preventive] <title> [@user]");
        }

        var states = await CurrentStatesAsync(tasks, cancellationToken);
        var lines = tasks.Select((t, i) =>
            $"{t.Number}. [{t.Kind}] {t.Title}{(t.Assignee is null ? "" : $" (for {t.Assignee})")}: " +
            (t.Url is null ? "not filed yet" : $"{states[i] ?? t.State ?? "state unknown"} {t.Url}"));
        return new CommandReply(CommandOutcome.Done, $"Tasks of {incident.Key}:\n{string.Join("\n", lines)}");
    }

    /// <summary>The tracker's current state of each filed task, or null where it did not answer in time.</summary>
    private async Task<string?[]> CurrentStatesAsync(IReadOnlyList<IncidentTask> tasks, CancellationToken cancellationToken)
    {
        var states = new string?[tasks.Count];
        if (tracker is null)
        {
            return states;
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TaskStateWait);
        await Task.WhenAll(tasks.Select(async (t, i) =>
        {
            if (t.Url is null)
            {
                return;
            }

            try
            {
                states[i] = await tracker.GetStateAsync(t.Url, wait.Token);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // the stored state is shown instead
            }
        }));
        return states;
    }

    private async Task<CommandReply> ListAsync(CancellationToken cancellationToken)
    {
        var open = await reads.ListIncidentsAsync(new IncidentQuery(null, true, 50), cancellationToken);
        if (open.Count == 0)
        {
            return new CommandReply(CommandOutcome.Done, "No open incidents.");
        }

        var now = time.GetUtcNow();
        var lines = open.Select(i =>
            $"{i.Key}  {i.Severity.Display()}  {i.Status.Name()}{(i.Progress is null ? "" : $" ({i.Progress})")}  lead: {i.Lead?.Name ?? "none"}  age: {Age(now - i.CreatedAt)}  {i.Title}" +
            (i.ChannelName is null ? "" : $"  #{i.ChannelName}"));
        return new CommandReply(CommandOutcome.Done, $"{open.Count} open incident{(open.Count == 1 ? "" : "s")}:\n{string.Join("\n", lines)}");
    }

    private async Task<CommandReply> TimelineAsync(long number, CancellationToken cancellationToken)
    {
        var incident = Exists(await reads.GetIncidentAsync(number, cancellationToken), number);
        // The latest of what people and the bot did, and the latest of what alerts did: a storm's alerts write an entry
        // per webhook, which must neither fill the answer nor hide the responders' notes.
        var people = await reads.ListTimelineAsync(number, new TimelineQuery(TimelineShown, Kinds: TimelineKindText.NotAlertActivity, NewestFirst: true), cancellationToken);
        var alerts = await reads.ListTimelineAsync(number, new TimelineQuery(AlertEntriesShown, Kinds: TimelineKindText.AlertActivity, NewestFirst: true), cancellationToken);
        var entries = people.Concat(alerts).OrderBy(e => e.At).ThenBy(e => e.Id).ToList();
        var multiDay = entries.Count > 0 && entries[0].At.UtcDateTime.Date != entries[^1].At.UtcDateTime.Date;
        var sb = new StringBuilder($"Timeline of {incident.Key}: {incident.Title} (UTC)");
        if (people.Count == TimelineShown || alerts.Count == AlertEntriesShown)
        {
            sb.Append($"\nThe latest {people.Count} entries and {alerts.Count} alert updates; the whole timeline: GET /api/incidents/{incident.Key}/timeline");
        }

        foreach (var e in entries)
        {
            sb.Append('\n').Append(e.At.UtcDateTime.ToString(multiDay ? "yyyy-MM-dd HH:mm" : "HH:mm", System.Globalization.CultureInfo.InvariantCulture))
              .Append("  ").Append(e.Author.Name).Append(": ").Append(e.Text);
        }

        return new CommandReply(CommandOutcome.Done, sb.ToString());
    }

    /// <summary>How many entries <c>/incident timeline</c> shows at most: responders' and the bot's, and alerts'.</summary>
    public const int TimelineShown = 40;

    public const int AlertEntriesShown = 10;

    private static Actor Person(UserRef user) => new(user.Id, user.Display);

    private static string Age(TimeSpan age) =>
        age.TotalDays >= 1 ? $"{(int)age.TotalDays}d {age.Hours}h" : age.TotalHours >= 1 ? $"{(int)age.TotalHours}h {age.Minutes:00}m" : $"{Math.Max(0, (int)age.TotalMinutes)}m";
}
