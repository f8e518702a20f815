using System.Text.RegularExpressions;
using Bot.Core.Escalation;
using Microsoft.Extensions.Options;

namespace Bot.Core.Heartbeats;

/// <summary>The <c>Heartbeats</c> section: each heartbeat by name.</summary>
public sealed class HeartbeatSettings
{
    public Dictionary<string, HeartbeatOptions> Heartbeats { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Checks each heartbeat at start-up; a failure names its key (<c>Heartbeats:watchdog:Interval</c>).</summary>
public sealed partial class HeartbeatSettingsValidator : IValidateOptions<HeartbeatSettings>
{
    public ValidateOptionsResult Validate(string? name, HeartbeatSettings options)
    {
        var errors = new List<string>();
        foreach (var (beat, o) in options.Heartbeats)
        {
            var k = $"{HeartbeatOptions.SectionName}:{beat}";
            if (!Name().IsMatch(beat))
            {
                errors.Add($"{k}: a heartbeat's name is letters, digits, '-' and '_' (it is part of its address, /heartbeats/<name>).");
            }

            if (Durations.Parse(o.Interval) is not { } interval || interval < TimeSpan.FromSeconds(1))
            {
                errors.Add($"{k}:Interval '{o.Interval}' must be a duration of at least 1s, e.g. 1m, 5m, 1h.");
            }

            if (Durations.Parse(o.Grace) is null)
            {
                errors.Add($"{k}:Grace '{o.Grace}' must be a duration, e.g. 30s, 1m (0s for none).");
            }

            for (var i = 0; i < o.Match.Count; i++)
            {
                try
                {
                    LabelMatcher.Parse(o.Match[i]);
                }
                catch (FormatException e)
                {
                    errors.Add($"{k}:Match:{i}: {e.Message}");
                }
            }

            if (o.Token is { Length: > 0 and < 16 })
            {
                errors.Add($"{k}:Token is too short to be a secret: give at least 16 characters.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex Name();
}
