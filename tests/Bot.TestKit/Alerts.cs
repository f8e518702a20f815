using Bot.Core.Alerts;
using Bot.Core.Intake;

namespace Bot.TestKit;

/// <summary>Builds alerts and batches for tests.</summary>
public static class Alerts
{
    public static Alert Firing(string fingerprint, DateTimeOffset startsAt, string name = "HighErrorRate", string severity = "warning", string? instance = null) =>
        new(
            fingerprint,
            AlertStatus.Firing,
            LabelSet.From(new Dictionary<string, string> { ["alertname"] = name, ["severity"] = severity, ["instance"] = instance ?? fingerprint }),
            LabelSet.From(new Dictionary<string, string> { ["summary"] = $"{name} on {instance ?? fingerprint}" }),
            startsAt,
            null,
            null);

    public static Alert Resolved(this Alert alert, DateTimeOffset endsAt) => alert with { Status = AlertStatus.Resolved, EndsAt = endsAt };

    public static AlertBatch Batch(string? groupKey, params Alert[] alerts) => new("alertmanager", groupKey, alerts);

    /// <summary>
    /// The <paramref name="n"/>th of a run of fingerprints spread as Alertmanager's are (a 64-bit hash of the labels, so
    /// random hex): a multiplicative hash of <paramref name="n"/>, 16 hex digits, never the same for two numbers.
    /// </summary>
    public static string HashedFingerprint(long n) => unchecked((ulong)n * 0x9E3779B97F4A7C15UL).ToString("x16");
}
