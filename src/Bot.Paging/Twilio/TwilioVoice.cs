using System.Globalization;
using System.Security;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Twilio;

/// <summary>
/// Phone-call pages through Twilio's Calls API: the call reads the incident twice and waits for a key; 1 acknowledges
/// (Twilio posts the key, signed, to <c>/twilio/voice</c>). A try that may have called already first looks for a call
/// to that number since the rule fell due. Twilio tells the bot how the call ended (answered, busy, no answer:
/// <c>/twilio/status</c>).
/// </summary>
public sealed class TwilioVoice(TwilioApi api, IOptions<TwilioOptions> options) : INotifier
{
    public string Channel => NotificationRule.Voice;

    public async Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.PublicUrl is null)
        {
            throw new PermanentEffectException("a phone call needs Twilio:PublicUrl, where Twilio sends the key pressed");
        }

        if (run.MayHaveRunBefore)
        {
            var since = run.DueAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            if ((await api.ListAsync("Calls", $"To={Uri.EscapeDataString(message.Address)}&From={Uri.EscapeDataString(o.From!)}&StartTime%3E={since}", cancellationToken)).Count > 0)
            {
                return;
            }
        }

        List<KeyValuePair<string, string>> form = [new("To", message.Address), new("From", o.From!)];
        if (message.Incident is { } incident)
        {
            form.Add(new("Twiml", Twiml(incident, message.Text, o.PublicUrl)));
            form.Add(new("StatusCallback", TwilioEndpoints.StatusCallback(o.PublicUrl, incident, message.User, Channel)));
            form.Add(new("StatusCallbackEvent", "completed"));
        }
        else
        {
            form.Add(new("Twiml", TestTwiml(message.Text)));
        }

        await api.CreateAsync("Calls", form, cancellationToken);
    }

    /// <summary>What a test page's call says: its text, twice, and no key to press.</summary>
    public static string TestTwiml(string text) => $"<Response>{SaidTwice(SecurityElement.Escape(text))}</Response>";

    /// <summary>The (escaped) words said twice, a pause between.</summary>
    private static string SaidTwice(string said) => $"<Say>{said}</Say><Pause length=\"1\"/><Say>{said}</Say>";

    /// <summary>What the call says, and where the key goes (the incident in the signed address).</summary>
    public static string Twiml(Incident incident, string text, Uri publicUrl)
    {
        var action = new Uri(publicUrl, $"twilio/voice?incident={incident.Number.ToString(CultureInfo.InvariantCulture)}");
        var said = SecurityElement.Escape($"You are paged for incident {incident.Number}, {incident.Severity.Display()}: {incident.Title}. Press 1 to acknowledge.");
        return $"<Response><Gather numDigits=\"1\" action=\"{SecurityElement.Escape(action.ToString())}\" method=\"POST\" timeout=\"10\">{SaidTwice(said)}</Gather><Say>No key was pressed. Goodbye.</Say></Response>";
    }
}
