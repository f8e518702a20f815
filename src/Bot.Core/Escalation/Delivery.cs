using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>
/// What a paging provider says became of a page it accepted: an SMS delivered or not, a call answered or not. Accepting
/// a page is not reaching the person (a phone off, a number gone, a carrier's filter), so its end is noted on the
/// incident's timeline with the pages, for those who wonder why nobody answers.
/// </summary>
/// <param name="Provider">Who tells it (<c>Twilio</c>): the entry's author.</param>
/// <param name="Channel"><see cref="NotificationRule.Sms"/> or <see cref="NotificationRule.Voice"/>.</param>
/// <param name="Id">The provider's id of the message or call (what its own console finds it by).</param>
/// <param name="Status">The provider's word for it: for an SMS <c>delivered</c>, <c>undelivered</c> or <c>failed</c>; for a
/// call <c>completed</c> (answered), <c>busy</c>, <c>no-answer</c>, <c>failed</c> or <c>canceled</c>; any other (on the way:
/// queued, sent, ringing...) is no end and is not noted.</param>
/// <param name="Error">The provider's error code and what it means, when it gave one.</param>
/// <param name="Seconds">How long an answered call lasted.</param>
public sealed record DeliveryReport(long Incident, string User, string Provider, string Channel, string Id, string Status, string? Error = null, int? Seconds = null)
{
    /// <summary>
    /// The page could not reach the person: an SMS not delivered, a call that could not be placed (a number out of
    /// service). Not a call unanswered or refused: the person's next rule and the policy's next step are for that.
    /// </summary>
    public bool IsFailure => (Channel, Status) is (NotificationRule.Sms, "undelivered" or "failed") or (NotificationRule.Voice, "failed");

    /// <summary>The timeline's words for it, or null for a status on the way.</summary>
    public string? Text(string name)
    {
        var error = Error is null ? "" : $", {Error}";
        return (Channel, Status) switch
        {
            (NotificationRule.Sms, "delivered") => $"SMS to {name} delivered ({Id}).",
            (NotificationRule.Sms, "undelivered" or "failed") => $"SMS to {name} not delivered ({Status}{error}): it did not reach them ({Id}).",
            (NotificationRule.Voice, "completed") => $"Call to {name} answered{(Seconds is { } s ? $", {s} s" : "")} ({Id}).",
            (NotificationRule.Voice, "busy" or "no-answer" or "failed" or "canceled") => $"Call to {name} not answered ({Status.Replace('-', ' ')}{error}) ({Id}).",
            _ => null,
        };
    }
}

/// <summary>
/// Notes what providers say of the pages they took (<see cref="DeliveryReport"/>), each once however often, and in
/// whatever order, they say it; a page that could not reach the person (<see cref="DeliveryReport.IsFailure"/>) is also
/// said in the open incident's channel, once, so that responders can reach them another way.
/// </summary>
public sealed class DeliveryReports(IUnitOfWork<IEscalationSession> store, IOptions<EscalationOptions> options)
{
    /// <summary>True when it was noted now; false for a status on the way, an incident not there, or one noted before.</summary>
    public Task<bool> NoteAsync(DeliveryReport report, CancellationToken cancellationToken = default)
    {
        if (report.Text(options.Value.NameOf(report.User)) is not { } text)
        {
            return Task.FromResult(false);
        }

        var author = new Actor(report.Provider.ToLowerInvariant(), report.Provider);
        return store.WriteAsync(
            s =>
            {
                if (s.GetIncident(report.Incident) is not { } incident || !s.AppendPageEntryOnce(report.Incident, new TimelineEntry(s.Now, TimelineKind.Page, author, text)))
                {
                    return false;
                }

                if (report.IsFailure && incident.IsOpen)
                {
                    s.Enqueue(PostTextJob.InChannel(
                        incident.Number, $"delivery:{report.Id}", $":warning: {report.Provider}: {text} Reach them another way, or page someone else."));
                }

                return true;
            },
            cancellationToken);
    }
}
