using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>
/// A test page (<c>/incident notify test</c>): how <see cref="User"/> is paged on <see cref="Channel"/>, sent on their
/// asking, with no incident, so that a wrong number, an address the mail server refuses or a phone that filters the
/// bot's SMS shows before the night it matters. <see cref="Asked"/> (Unix ms) tells one asking from the next.
/// </summary>
public sealed record TestPageJob(string User, string Channel, long Asked) : IJob<TestPageJob>
{
    public static string Kind => "escalation.test_page";

    public static string Description => "send a test page";

    public static JobLane Lane => JobLane.Phone;

    /// <summary>In its provider's lane, as a real page of the channel.</summary>
    public static JobLane LaneOf(TestPageJob job) => NotificationRule.LaneOf(job.Channel);

    public static JsonTypeInfo<TestPageJob> Json => EscalationJsonContext.Default.TestPageJob;

    [JsonIgnore]
    public string Key => $"test-page:{User}:{Channel}:{Asked}";

    [JsonIgnore]
    public string OrderingKey => Key;

    /// <summary>What the test page says.</summary>
    [JsonIgnore]
    public string Text => $"Test page from the incident bot: this is how you are paged by {Channel}. Nothing to do.";
}

/// <summary>
/// Sends a test page through the channel's notifier (the chat for <c>chat</c>). A provider's refusal (a number it
/// calls invalid, an address the mail server refuses, no such channel configured) is told to the person by direct
/// message, with the reason; a provider that fails for now is tried again, as a page is.
/// </summary>
public sealed class TestPageHandler(IEnumerable<INotifier> notifiers, IChat chat, IOptions<EscalationOptions> options) : IJobHandler<TestPageJob>
{
    private readonly Dictionary<string, INotifier> _notifiers = notifiers.ToDictionary(n => n.Channel, StringComparer.OrdinalIgnoreCase);

    public async Task HandleAsync(TestPageJob job, EffectJob run, CancellationToken cancellationToken)
    {
        if (job.Channel == NotificationRule.Chat)
        {
            await chat.DirectMessageAsync(job.User, new ChatMessage(job.Text), run.Key, cancellationToken);
            return;
        }

        try
        {
            var person = options.Value.People.GetValueOrDefault(job.User);
            var address = person?.AddressOn(job.Channel)
                ?? throw new PermanentEffectException(PersonOptions.MissingAddress(person, job.User, job.Channel) ?? $"the bot has no address for you on {job.Channel}");
            var notifier = _notifiers.GetValueOrDefault(job.Channel)
                ?? throw new PermanentEffectException($"no {job.Channel} is configured in the bot; ask its operators (docs/paging.md)");
            await notifier.SendAsync(new NotifyMessage(null, job.User, address, job.Text), run, cancellationToken);
        }
        catch (PermanentEffectException e)
        {
            await chat.DirectMessageAsync(job.User, new ChatMessage($"Your test page by {job.Channel} could not be sent: {e.Message}."), $"{run.Key}:refused", cancellationToken);
        }
    }
}
