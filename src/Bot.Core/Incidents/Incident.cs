using Bot.Core.Alerts;

namespace Bot.Core.Incidents;

/// <summary>
/// An incident: its identity, title, severity and status with the time of each status change. It changes only
/// through methods that take the current time; each change returns the timeline entry that records it.
/// Alerts and the timeline are stored beside it, not loaded with it, so an alert storm stays cheap.
/// </summary>
public sealed class Incident
{
    public static readonly string[] ProgressValues = ["investigating", "identified", "monitoring"];

    /// <summary>The longest title; an alert's longer one is cut (a title is a channel topic, a headline, a file name).</summary>
    public const int MaxTitle = 300;

    /// <summary>The most runbook links an incident keeps (from its first alerts that carry one).</summary>
    public const int MaxRunbooks = 3;

    private readonly SortedDictionary<string, Actor> _roles = new(StringComparer.Ordinal);
    private readonly List<string> _runbooks = [];

    private Incident(string title, Severity severity, string source, string groupKey, DateTimeOffset createdAt)
    {
        Title = title;
        Severity = severity;
        Source = source;
        GroupKey = groupKey;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
    }

    /// <summary>The number behind <c>INC-42</c>; assigned by the store when the incident is first saved.</summary>
    public long Number { get; private set; }

    public string Key => FormatKey(Number);

    public string Title { get; private set; }

    public Severity Severity { get; private set; }

    public IncidentStatus Status { get; private set; }

    public bool IsOpen => Status != IncidentStatus.Resolved;

    /// <summary>The webhook source (or <c>manual</c>) that opened the incident.</summary>
    public string Source { get; }

    /// <summary>The grouping key: while the incident is open, alerts with this key join it.</summary>
    public string GroupKey { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset? AcknowledgedAt { get; private set; }

    public DateTimeOffset? MitigatedAt { get; private set; }

    public DateTimeOffset? ResolvedAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Who leads the response, if anyone was named.</summary>
    public Actor? Lead { get; private set; }

    /// <summary>Other named roles (e.g. <c>comms</c>, <c>scribe</c>), by lower-case role name.</summary>
    public IReadOnlyDictionary<string, Actor> Roles => _roles;

    /// <summary>Where the investigation stands while open: investigating, identified or monitoring.</summary>
    public string? Progress { get; private set; }

    /// <summary>The postmortem's fields, as responders state them.</summary>
    public string? Impact { get; private set; }

    public string? Cause { get; private set; }

    public string? Resolution { get; private set; }

    /// <summary>When the last status update was posted (for update reminders).</summary>
    public DateTimeOffset? LastUpdateAt { get; private set; }

    /// <summary>The chat channel made for the incident, once the chat adapter has created it.</summary>
    public string? ChannelId { get; private set; }

    public string? ChannelName { get; private set; }

    /// <summary>The pinned summary message in the channel (the chat adapter's id), once posted.</summary>
    public string? SummaryMessageId { get; private set; }

    /// <summary>
    /// How many alerts the incident holds, and how many of them are firing. Kept as alerts join and change (see
    /// <see cref="TallyAlert"/>), so that a summary of a storm of thousands of alerts does not read them all.
    /// </summary>
    public int AlertCount { get; private set; }

    public int FiringCount { get; private set; }

    /// <summary>When the earliest of its alerts started (null without alerts): where its outage began, if before the incident.</summary>
    public DateTimeOffset? FirstAlertAt { get; private set; }

    /// <summary>The distinct runbook links of its alerts (<c>runbook_url</c> or <c>runbook</c>), first come first, at most <see cref="MaxRunbooks"/>.</summary>
    public IReadOnlyList<string> Runbooks => _runbooks;

    public static string FormatKey(long number) => $"INC-{number}";

    /// <summary>Reads <c>INC-42</c>, <c>inc-42</c> or <c>42</c>.</summary>
    public static long? ParseKey(string? text)
    {
        var t = text?.Trim() ?? "";
        if (t.StartsWith("INC-", StringComparison.OrdinalIgnoreCase))
        {
            t = t[4..];
        }

        return long.TryParse(t, System.Globalization.NumberStyles.None, null, out var n) && n > 0 ? n : null;
    }

    public static (Incident Incident, TimelineEntry Opened) Open(
        string title, Severity severity, string source, string groupKey, Actor by, string reason, DateTimeOffset now)
    {
        var incident = new Incident(Text.SafeText.Cut(Text.SafeText.Clean(title), MaxTitle), severity, source, groupKey, now);
        return (incident, new TimelineEntry(now, TimelineKind.IncidentOpened, by, reason));
    }

    /// <summary>Rebuilds an incident from storage; no rules are checked.</summary>
    public static Incident Restore(
        long number, string title, Severity severity, IncidentStatus status, string source, string groupKey,
        DateTimeOffset createdAt, DateTimeOffset? acknowledgedAt, DateTimeOffset? mitigatedAt, DateTimeOffset? resolvedAt,
        DateTimeOffset updatedAt, string? channelId, string? channelName) =>
        new(title, severity, source, groupKey, createdAt)
        {
            Number = number,
            Status = status,
            AcknowledgedAt = acknowledgedAt,
            MitigatedAt = mitigatedAt,
            ResolvedAt = resolvedAt,
            UpdatedAt = updatedAt,
            ChannelId = channelId,
            ChannelName = channelName,
        };

    /// <summary>Restores the response fields (lead, roles, postmortem fields) from storage; no rules are checked.</summary>
    public Incident WithResponse(
        Actor? lead, IEnumerable<KeyValuePair<string, Actor>> roles, string? progress, string? impact, string? cause, string? resolution, DateTimeOffset? lastUpdateAt,
        string? summaryMessageId = null)
    {
        SummaryMessageId = summaryMessageId;
        Lead = lead;
        foreach (var (role, actor) in roles)
        {
            _roles[role] = actor;
        }

        Progress = progress;
        Impact = impact;
        Cause = cause;
        Resolution = resolution;
        LastUpdateAt = lastUpdateAt;
        return this;
    }

    /// <summary>Restores the alert tally and runbooks from storage; no rules are checked.</summary>
    public Incident WithAlerts(int alertCount, int firingCount, IEnumerable<string> runbooks, DateTimeOffset? firstAlertAt = null)
    {
        AlertCount = alertCount;
        FiringCount = firingCount;
        FirstAlertAt = firstAlertAt;
        _runbooks.Clear();
        _runbooks.AddRange(runbooks);
        return this;
    }

    /// <summary>
    /// Counts one of its alerts that was just stored: <paramref name="before"/> is the status it had until now, null for
    /// an alert new to the incident. A new alert's runbook joins <see cref="Runbooks"/> while there is room.
    /// </summary>
    public void TallyAlert(Alert alert, AlertStatus? before, DateTimeOffset now)
    {
        if (before is null)
        {
            AlertCount++;
            if (_runbooks.Count < MaxRunbooks && (alert.Annotations.Get("runbook_url") ?? alert.Annotations.Get("runbook")) is { } runbook
                && !_runbooks.Contains(runbook))
            {
                _runbooks.Add(runbook);
            }
        }

        FiringCount += (alert.Status == AlertStatus.Firing ? 1 : 0) - (before == AlertStatus.Firing ? 1 : 0);
        if (FirstAlertAt is null || alert.StartsAt < FirstAlertAt)
        {
            FirstAlertAt = alert.StartsAt;
        }

        UpdatedAt = now;
    }

    /// <summary>Called by the store once, when it assigns the number.</summary>
    public void AssignNumber(long number)
    {
        if (Number != 0)
        {
            throw new InvalidOperationException($"{Key} already has a number.");
        }

        Number = number;
    }

    public TimelineEntry Acknowledge(Actor by, DateTimeOffset now)
    {
        RequireOpen("acknowledge");
        if (Status != IncidentStatus.Triggered)
        {
            throw new IncidentTransitionException($"{Key} is already {Status.Name()}.");
        }

        AcknowledgedAt = now;
        return ChangeStatus(IncidentStatus.Acknowledged, by, now, $"{by.Name} acknowledged the incident.");
    }

    public TimelineEntry Mitigate(Actor by, DateTimeOffset now)
    {
        RequireOpen("mark mitigated");
        if (Status == IncidentStatus.Mitigated)
        {
            throw new IncidentTransitionException($"{Key} is already mitigated.");
        }

        AcknowledgedAt ??= now;
        MitigatedAt = now;
        return ChangeStatus(IncidentStatus.Mitigated, by, now, $"{by.Name} marked the incident mitigated.");
    }

    /// <summary>Resolves the incident; a <paramref name="summary"/> becomes its <see cref="Resolution"/> while that is blank.</summary>
    public TimelineEntry Resolve(Actor by, DateTimeOffset now, string? summary = null)
    {
        RequireOpen("resolve");
        AcknowledgedAt ??= now;
        MitigatedAt ??= now;
        ResolvedAt = now;
        if (Resolution is null && !string.IsNullOrWhiteSpace(summary))
        {
            Resolution = Text.SafeText.Clean(summary.Trim());
        }

        var text = $"{by.Name} resolved the incident." + (string.IsNullOrWhiteSpace(summary) ? "" : $" {summary.Trim()}");
        return ChangeStatus(IncidentStatus.Resolved, by, now, text);
    }

    public TimelineEntry Reopen(Actor by, DateTimeOffset now)
    {
        if (IsOpen)
        {
            throw new IncidentTransitionException($"{Key} is open ({Status.Name()}); only a resolved incident can be reopened.");
        }

        ResolvedAt = null;
        MitigatedAt = null;
        return ChangeStatus(IncidentStatus.Triggered, by, now, $"{by.Name} reopened the incident.");
    }

    /// <summary>
    /// Raises the severity when <paramref name="severity"/>, an alert's, is more severe; null when nothing changed (and
    /// then nothing is written: a storm's every joining alert asks).
    /// </summary>
    public TimelineEntry? Escalate(Severity severity, Actor by, Alert because, DateTimeOffset now)
    {
        if (severity >= Severity)
        {
            return null;
        }

        var before = Severity;
        Severity = severity;
        UpdatedAt = now;
        return new TimelineEntry(
            now, TimelineKind.SeverityChanged, by, $"Severity raised from {before.Display()} to {severity.Display()}: alert {because.Title} is {severity.Display()}.");
    }

    /// <summary>Sets the severity, up or down (a person's call); null when unchanged.</summary>
    public TimelineEntry? SetSeverity(Severity severity, Actor by, DateTimeOffset now)
    {
        RequireOpen("change the severity of");
        if (severity == Severity)
        {
            return null;
        }

        var before = Severity;
        Severity = severity;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.SeverityChanged, by, $"{by.Name} changed the severity from {before.Display()} to {severity.Display()}.");
    }

    public TimelineEntry Retitle(string title, Actor by, DateTimeOffset now)
    {
        RequireOpen("rename");
        var before = Title;
        Title = RequireText(title, "title");
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.Edited, by, $"{by.Name} renamed the incident from \"{before}\" to \"{Title}\".");
    }

    public TimelineEntry AssignLead(Actor lead, Actor by, DateTimeOffset now)
    {
        RequireOpen("assign a lead to");
        Lead = lead;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.RoleAssigned, by, $"{by.Name} made {lead.Name} the incident lead.");
    }

    public TimelineEntry AssignRole(string role, Actor holder, Actor by, DateTimeOffset now)
    {
        RequireOpen("assign a role in");
        var name = RequireText(role, "role").ToLowerInvariant();
        if (name == "lead")
        {
            return AssignLead(holder, by, now);
        }

        _roles[name] = holder;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.RoleAssigned, by, $"{by.Name} made {holder.Name} the {name}.");
    }

    /// <summary>Records where the investigation stands (investigating, identified, monitoring).</summary>
    public TimelineEntry SetProgress(string progress, Actor by, DateTimeOffset now)
    {
        RequireOpen("update the status of");
        var value = progress.Trim().ToLowerInvariant();
        if (!ProgressValues.Contains(value))
        {
            throw new ArgumentException($"'{progress}' is not a status; use {string.Join(", ", ProgressValues)}.");
        }

        Progress = value;
        if (Status == IncidentStatus.Triggered)
        {
            AcknowledgedAt = now; // working on it means someone has it
            Status = IncidentStatus.Acknowledged;
        }

        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.StatusChanged, by, $"{by.Name} set the status to {value}.");
    }

    public TimelineEntry SetImpact(string text, Actor by, DateTimeOffset now) => SetField(text, by, now, "impact", v => Impact = v);

    public TimelineEntry SetCause(string text, Actor by, DateTimeOffset now) => SetField(text, by, now, "root cause", v => Cause = v);

    public TimelineEntry SetResolution(string text, Actor by, DateTimeOffset now) => SetField(text, by, now, "resolution", v => Resolution = v);

    /// <summary>A status update for stakeholders; resets the update reminder.</summary>
    public TimelineEntry PostUpdate(string text, Actor by, DateTimeOffset now)
    {
        RequireOpen("post an update to");
        LastUpdateAt = now;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.Update, by, RequireText(text, "update"));
    }

    /// <summary>Records the pinned summary's message id, so that it can be updated in place.</summary>
    public void AttachSummary(string messageId, DateTimeOffset now)
    {
        SummaryMessageId = messageId;
        UpdatedAt = now;
    }

    public TimelineEntry AttachChannel(string channelId, string channelName, DateTimeOffset now)
    {
        ChannelId = channelId;
        ChannelName = channelName;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.ChatChannel, Actor.Bot, $"Incident channel #{channelName} created.");
    }

    private TimelineEntry SetField(string text, Actor by, DateTimeOffset now, string field, Action<string> set)
    {
        var value = RequireText(text, field);
        set(value);
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.Edited, by, $"{by.Name} set the {field}: {value}");
    }

    private static string RequireText(string text, string what) =>
        string.IsNullOrWhiteSpace(text) ? throw new ArgumentException($"The {what} must not be empty.") : Text.SafeText.Clean(text.Trim());

    private void RequireOpen(string action)
    {
        if (!IsOpen)
        {
            throw new IncidentTransitionException($"{Key} is resolved; reopen it before you {action} it.");
        }
    }

    private TimelineEntry ChangeStatus(IncidentStatus status, Actor by, DateTimeOffset now, string text)
    {
        Status = status;
        UpdatedAt = now;
        return new TimelineEntry(now, TimelineKind.StatusChanged, by, text);
    }
}
