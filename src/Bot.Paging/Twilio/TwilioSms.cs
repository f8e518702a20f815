using System.Security.Cryptography;
using System.Text;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Microsoft.Extensions.Options;

namespace Bot.Paging.Twilio;

/// <summary>
/// SMS pages through Twilio's Messages API: one segment (160 GSM characters: the text is cut, and anything outside
/// plain ASCII replaced), ending "Reply 1 to acknowledge" and a short reference. Twilio has no idempotency key, so a
/// try that may have sent already first looks for its reference among the day's messages to that number. With
/// <c>Twilio:PublicUrl</c> set, Twilio tells the bot whether each SMS was delivered (<c>/twilio/status</c>).
/// </summary>
public sealed class TwilioSms(TwilioApi api, IOptions<TwilioOptions> options, TimeProvider time) : INotifier
{
    private const int SegmentLength = 160;

    public string Channel => NotificationRule.Sms;

    public async Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var reference = Reference(run.Key);
        if (run.MayHaveRunBefore)
        {
            var since = time.GetUtcNow().UtcDateTime.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var sent = await api.ListAsync("Messages", $"To={Uri.EscapeDataString(message.Address)}&DateSent%3E={since}&PageSize=50", cancellationToken);
            if (sent.Any(m => m.TryGetProperty("body", out var b) && (b.GetString() ?? "").Contains($"({reference})", StringComparison.Ordinal)))
            {
                return;
            }
        }

        var body = message.Incident is null ? TestBody(message.Text, reference) : Body(message.Text, reference);
        List<KeyValuePair<string, string>> form = [new("To", message.Address), new("From", options.Value.From!), new("Body", body)];
        if (options.Value.PublicUrl is { } publicUrl && message.Incident is { } incident)
        {
            form.Add(new("StatusCallback", TwilioEndpoints.StatusCallback(publicUrl, incident, message.User, Channel)));
        }

        await api.CreateAsync("Messages", form, cancellationToken);
    }

    /// <summary>The page's text cut to one segment with the reply hint and the reference.</summary>
    public static string Body(string text, string reference) => Segment(text, $" Reply 1 to acknowledge. ({reference})");

    /// <summary>A test page's SMS: its text and the reference, nothing to reply.</summary>
    public static string TestBody(string text, string reference) => Segment(text, $" ({reference})");

    /// <summary>The text cut to one segment before its tail, anything outside plain ASCII replaced.</summary>
    private static string Segment(string text, string tail)
    {
        var ascii = new string(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());
        var room = SegmentLength - tail.Length;
        return (ascii.Length <= room ? ascii : ascii[..(room - 3)] + "...") + tail;
    }

    /// <summary>A short reference of the job (its key's hash): how a retry recognises the message it may have sent.</summary>
    public static string Reference(string key) => "ref " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..6];
}
