using System.Globalization;
using System.Text.Json;

namespace Bot.Core.Escalation;

/// <summary>
/// One of an incident's pages not done yet, as the outbox holds it: an SMS, call, e-mail, chat message, user group's
/// mention or outgoing webhook scheduled for later (a notification rule's delay), waiting for its turn, being sent, or
/// failing try after try. Read for those outside the channel (the console's incident page), who otherwise see a page
/// only once it went out or failed for good.
/// </summary>
/// <param name="FirstDueAt">When it first fell due, if it was tried before (its <paramref name="DueAt"/> is then its next try).</param>
/// <param name="Running">Claimed by a worker: being sent now.</param>
public sealed record PageUnderWay(string Kind, string Payload, int Attempts, DateTimeOffset DueAt, DateTimeOffset? FirstDueAt, bool Running, string? LastError)
{
    /// <summary>The kinds of job that page: the store reads only these.</summary>
    public static readonly IReadOnlyList<string> Kinds = [NotifyJob.Kind, PageJob.Kind, PageGroupJob.Kind, OutgoingWebhookJob.Kind];

    /// <summary>The store's bounds of an incident's escalation jobs' keys (every page's key begins with its step's): [From, To).</summary>
    public static (string From, string To) KeyRange(long incident)
    {
        var steps = $"{Incidents.Incident.FormatKey(incident)}:esc"; // as Escalator.StepKey begins
        return (steps + ":", steps + ";"); // ';' follows ':'
    }

    /// <summary>When it first fell due (or falls due, when scheduled).</summary>
    public DateTimeOffset Since => FirstDueAt ?? DueAt;

    /// <summary>Not due yet and never tried: a later rule's page (which does nothing if the incident is acknowledged by its time).</summary>
    public bool IsScheduled(DateTimeOffset now) => !Running && Attempts == 0 && DueAt > now;

    /// <summary>Where it stands in a word: <c>scheduled</c>, <c>waiting</c> (due, not yet claimed), <c>sending</c>, <c>failing</c> (between tries).</summary>
    public string Stage(DateTimeOffset now) => IsScheduled(now) ? "scheduled" : Running ? "sending" : Attempts > 0 ? "failing" : "waiting";

    /// <summary>What it is, for people: "SMS to Dave", "E-mail to Dave", "Webhook statuspage"...</summary>
    public string What(Func<string, string> nameOf)
    {
        if (Kind == NotifyJob.Kind && Read(NotifyJob.Json) is { } notify)
        {
            return $"{Channel(notify.Channel)} to {nameOf(notify.User)}";
        }

        if (Kind == PageJob.Kind && Read(PageJob.Json) is { } page)
        {
            return $"Chat message to {nameOf(page.User)}";
        }

        if (Kind == PageGroupJob.Kind && Read(PageGroupJob.Json) is { } group)
        {
            return $"Mention of the user group {group.Group}";
        }

        return Kind == OutgoingWebhookJob.Kind && Read(OutgoingWebhookJob.Json) is { } webhook ? $"Webhook {webhook.Name}" : Kind;
    }

    /// <summary>Where it stands, times in UTC: "scheduled for 03:14:00 UTC (a later rule's)...", "not out after 3 tries since 03:11:35 UTC; last error: ...; next try 03:15:05 UTC".</summary>
    public string State(DateTimeOffset now)
    {
        if (IsScheduled(now))
        {
            return $"scheduled for {Utc(DueAt)} (a later rule's); not sent if the incident is acknowledged by then";
        }

        if (Running)
        {
            return Attempts == 0 ? $"being sent, due since {Utc(Since)}" : $"being sent again (try {Attempts + 1}), due since {Utc(Since)}; last error: {LastError}";
        }

        return Attempts == 0
            ? $"waiting for its turn since {Utc(Since)}"
            : $"not out after {Attempts} {(Attempts == 1 ? "try" : "tries")} since {Utc(Since)}; last error: {LastError}; next try {Utc(DueAt)}";
    }

    private static string Channel(string channel) => channel switch
    {
        NotificationRule.Sms => "SMS",
        NotificationRule.Voice => "Call",
        NotificationRule.Email => "E-mail",
        NotificationRule.Chat => "Chat message",
        _ => channel,
    };

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private T? Read<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> json) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(Payload, json);
        }
        catch (JsonException)
        {
            return null; // a newer version's payload: shown by its kind
        }
    }
}
