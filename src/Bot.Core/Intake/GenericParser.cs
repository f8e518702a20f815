using Bot.Core.Alerts;

namespace Bot.Core.Intake;

/// <summary>
/// The generic format for any JSON sender: one alert per request. <c>title</c> is required; <c>status</c>
/// defaults to firing, <c>time</c> to the time of receipt, and <c>fingerprint</c> to a hash of the title and
/// labels so that repeats are recognised. The title becomes the <c>alertname</c> label and <c>summary</c>
/// annotation unless those are given, and <c>severity</c> becomes the <c>severity</c> label.
/// </summary>
public sealed class GenericParser : IWebhookParser
{
    public string Format => "generic";

    public AlertBatch Parse(ReadOnlySpan<byte> body, string source, DateTimeOffset now)
    {
        var hook = WireReader.Deserialize(body, IntakeJsonContext.Default.GenericWebhook);
        var title = WireReader.Required(hook.Title, "title").Trim();
        var status = hook.Status is null ? AlertStatus.Firing : WireReader.Status(hook.Status, "status");
        var time = WireReader.Time(hook.Time, "time") ?? now;

        var labels = WireReader.Pairs(hook.Labels, "labels");
        if (labels.Get("alertname") is null)
        {
            labels = labels.With("alertname", title);
        }

        if (!string.IsNullOrWhiteSpace(hook.Severity))
        {
            labels = labels.With("severity", hook.Severity.Trim());
        }

        var annotations = WireReader.Pairs(hook.Annotations, "annotations");
        if (annotations.Get("summary") is null)
        {
            annotations = annotations.With("summary", title);
        }

        var fingerprint = string.IsNullOrWhiteSpace(hook.Fingerprint) ? Fingerprint.Of(labels, title) : hook.Fingerprint.Trim();
        var alert = new Alert(
            fingerprint,
            status,
            labels,
            annotations,
            StartsAt: time,
            EndsAt: status == AlertStatus.Resolved ? time : null,
            SourceUrl: string.IsNullOrWhiteSpace(hook.Url) ? null : hook.Url);
        var group = string.IsNullOrWhiteSpace(hook.Group) ? null : hook.Group.Trim();
        return new AlertBatch(source, group, [alert]);
    }
}
