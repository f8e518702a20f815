using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>
/// <c>People:&lt;user id&gt;</c>: how a person is reached and how they want to be paged. <see cref="Notify"/> is their
/// rules (<c>"chat"</c>, <c>"sms 2m"</c>, <c>"voice 5m"</c>, <c>"email 5m"</c>: a channel and how long after the page); for SEV1 and SEV2
/// incidents <see cref="NotifyImportant"/> when given. A person without rules gets a chat message at once.
/// </summary>
public sealed class PersonOptions
{
    public string? Name { get; set; }

    /// <summary>A mobile number in E.164 form (<c>+15551230001</c>), for <c>sms</c> and <c>voice</c>.</summary>
    public string? Phone { get; set; }

    public string? Email { get; set; }

    public List<string> Notify { get; set; } = [];

    public List<string> NotifyImportant { get; set; } = [];

    /// <summary>The setting a rule's channel reaches the person by: <c>Phone</c> (sms, voice), <c>Email</c>, or null (chat).</summary>
    public static string? AddressSetting(string channel) => channel switch
    {
        NotificationRule.Sms or NotificationRule.Voice => nameof(Phone),
        NotificationRule.Email => nameof(Email),
        _ => null,
    };

    /// <summary>
    /// Why the person <paramref name="user"/> (null: not in <c>People</c>) cannot be paged on <paramref name="channel"/>,
    /// told to them ("the bot has no phone for you (setting People:U1:Phone); ask its operators to add it"); null when
    /// they can (an address given, or a channel that needs none).
    /// </summary>
    public static string? MissingAddress(PersonOptions? person, string user, string channel) =>
        AddressSetting(channel) is { } key && person?.AddressOn(channel) is null
            ? $"the bot has no {key.ToLowerInvariant()} for you (setting People:{user}:{key}); ask its operators to add it"
            : null;

    /// <summary>The person's address on <paramref name="channel"/>, or null when the settings give none.</summary>
    public string? AddressOn(string channel) => AddressSetting(channel) switch
    {
        nameof(Phone) => Phone is { Length: > 0 } phone ? phone : null,
        nameof(Email) => Email is { Length: > 0 } email ? email : null,
        _ => null,
    };
}

/// <summary>One rule of a person's: page on <see cref="Channel"/> <see cref="After"/> the page (the chat message always at once).</summary>
public sealed record NotificationRule(string Channel, TimeSpan After)
{
    public const string Chat = "chat";
    public const string Sms = "sms";
    public const string Email = "email";
    public const string Voice = "voice";

    public static readonly IReadOnlyList<string> Channels = [Chat, Sms, Voice, Email];

    public static readonly IReadOnlyList<NotificationRule> Default = [new(Chat, TimeSpan.Zero)];

    /// <summary>Reads <c>"sms 2m"</c>, <c>"email"</c> (at once); a <see cref="FormatException"/> says what is wrong.</summary>
    public static NotificationRule Parse(string text)
    {
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length is 0 or > 2 || !Channels.Contains(parts[0].ToLowerInvariant()))
        {
            throw new FormatException($"'{text}' is not a rule; write a channel ({string.Join(", ", Channels)}) and how long after the page, e.g. 'sms 2m'.");
        }

        var channel = parts[0].ToLowerInvariant();
        var after = parts.Length == 2 ? Durations.Parse(parts[1]) ?? throw new FormatException($"'{text}': '{parts[1]}' is not a duration, e.g. 30s, 2m.") : TimeSpan.Zero;
        if (channel == Chat && after > TimeSpan.Zero)
        {
            throw new FormatException($"'{text}': the chat message goes at once; write 'chat'.");
        }

        return new NotificationRule(channel, after);
    }

    /// <summary>
    /// The rules a page of <paramref name="user"/> runs for an incident of <paramref name="severity"/>: their own
    /// (<paramref name="stored"/>, set with <c>/incident notify</c>) where set, else the settings', else a chat message.
    /// </summary>
    public static IReadOnlyList<NotificationRule> For(EscalationOptions options, StoredRules? stored, string user, Severity severity)
    {
        var person = options.People.GetValueOrDefault(user);
        IReadOnlyList<string>? important = stored?.Important ?? (person?.NotifyImportant is { Count: > 0 } i ? i : null);
        IReadOnlyList<string>? everyday = stored?.Notify ?? (person?.Notify is { Count: > 0 } n ? n : null);
        var texts = severity <= Severity.Sev2 && important is not null ? important : everyday;
        return texts is null || texts.Count == 0 ? Default : [.. texts.Select(Parse)];
    }

    /// <summary>The outbox lane of a page on <paramref name="channel"/>: its provider's (the mail server's, the chat's, else the phone's).</summary>
    public static JobLane LaneOf(string channel) => channel switch
    {
        Email => JobLane.Email,
        Chat => JobLane.ChatPaging,
        _ => JobLane.Phone,
    };

    public override string ToString() => After == TimeSpan.Zero ? Channel : $"{Channel} {Durations.Format(After)}";
}

/// <summary>A person's own rules as stored: each list null where they keep the settings'.</summary>
public sealed record StoredRules(IReadOnlyList<string>? Notify, IReadOnlyList<string>? Important);

/// <summary>What a notifier sends: the incident, the person and their address on its channel.</summary>
/// <param name="Incident">The incident it pages for; null for a test page (<see cref="TestPageJob"/>), which needs no answer.</param>
public sealed record NotifyMessage(Incident? Incident, string User, string Address, string Text);

/// <summary>
/// A channel that pages a person outside chat (SMS, e-mail), implemented by an adapter. Throw
/// <see cref="PermanentEffectException"/> when the address is refused (a bad number): the next rule still runs, and the
/// failure is on the timeline.
/// </summary>
public interface INotifier
{
    /// <summary>The rule channel it serves: <c>sms</c>, <c>email</c>.</summary>
    string Channel { get; }

    /// <summary>Sends once: <paramref name="run"/>'s key identifies the message across tries (<see cref="EffectJob.MayHaveRunBefore"/>).</summary>
    Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken);
}

/// <summary>
/// Rule <see cref="Rule"/> of a person's page at step <see cref="Step"/>: due <see cref="Due"/> (Unix ms). Keyed by the
/// step, the person and the rule, so a retried job never pages twice; an acknowledgement before it is due stops it.
/// </summary>
public sealed record NotifyJob(long Incident, string User, string Channel, int Rule, string Step, long Due) : IIncidentJob, IDelayedJob, IJob<NotifyJob>
{
    public static string Kind => "escalation.notify";

    public static string Description => "page a responder";

    public static JobLane Lane => JobLane.Phone;

    /// <summary>An e-mail in the mail server's lane, an SMS or a call in the phone provider's: neither holds back the other.</summary>
    public static JobLane LaneOf(NotifyJob job) => NotificationRule.LaneOf(job.Channel);

    public static JsonTypeInfo<NotifyJob> Json => EscalationJsonContext.Default.NotifyJob;

    [JsonIgnore]
    public string Key => $"{Step}:notify:{User}:{Rule}";

    [JsonIgnore]
    public string OrderingKey => Key;

    [JsonIgnore]
    public DateTimeOffset DueAt => DateTimeOffset.FromUnixTimeMilliseconds(Due);
}

/// <summary>Sends one rule's page unless the incident was acknowledged (or closed) meanwhile, and notes it on the timeline.</summary>
public sealed class NotifyHandler(
    IIncidentReads reads, IEscalationReads escalationReads, IUnitOfWork<IEscalationSession> store, IEnumerable<INotifier> notifiers, IOptions<EscalationOptions> options)
    : IJobHandler<NotifyJob>
{
    private readonly Dictionary<string, INotifier> _notifiers = notifiers.ToDictionary(n => n.Channel, StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(NotifyJob job, EffectJob run, CancellationToken cancellationToken)
    {
        var incident = await reads.GetIncidentAsync(job.Incident, cancellationToken);
        if (incident is not { IsOpen: true } || !await StillPagingAsync(job, incident, cancellationToken))
        {
            return; // acknowledged, from any channel, or over: the rest of the rules stop
        }

        var person = options.Value.People.GetValueOrDefault(job.User);
        var name = options.Value.NameOf(job.User);
        if (person?.AddressOn(job.Channel) is not { } address)
        {
            throw new PermanentEffectException($"{job.Channel} {name}: People:{job.User} has no {PersonOptions.AddressSetting(job.Channel)}");
        }

        if (!_notifiers.TryGetValue(job.Channel, out var notifier))
        {
            throw new PermanentEffectException($"{job.Channel} {name}: no {job.Channel} is configured (see docs/paging.md)");
        }

        var text = $"{incident.Key} {incident.Severity.Display()}: {incident.Title}";
        await notifier.SendAsync(new NotifyMessage(incident, job.User, address, text), run, cancellationToken);
        await store.WriteAsync(
            s => s.AppendTimeline(job.Incident, new TimelineEntry(s.Now, TimelineKind.Page, Actor.Bot, $"{Done(job.Channel, name)} (their rule {job.Rule + 1}, {Durations.Format(s.Now - run.CreatedAt)} after the page).")),
            cancellationToken);
        Escalator.CountPage(job.Step, job.Channel);
    }

    /// <summary>
    /// Whether the escalation that paged still waits for an acknowledgement (another team's acknowledgement does not
    /// stop this team's pages; an acknowledgement of this one, or the incident's resolution, does).
    /// </summary>
    private async Task<bool> StillPagingAsync(NotifyJob job, Incident incident, CancellationToken cancellationToken)
    {
        if (Escalator.ParseStepKey(job.Step) is not { } step)
        {
            return incident.Status == IncidentStatus.Triggered;
        }

        var escalations = await escalationReads.ListEscalationsAsync(job.Incident, cancellationToken);
        // Active, or exhausted (its steps all ran, and nobody answered): not acknowledged, not stopped.
        return escalations.Any(e => string.Equals(e.Policy, step.Policy, StringComparison.OrdinalIgnoreCase) && e.Run == step.Run
            && e.Status is EscalationState.Active or EscalationState.Exhausted);
    }

    private static string Done(string channel, string name) => channel switch
    {
        NotificationRule.Sms => $"Sent an SMS to {name}",
        NotificationRule.Voice => $"Called {name}",
        _ => $"Sent an e-mail to {name}",
    };

}
