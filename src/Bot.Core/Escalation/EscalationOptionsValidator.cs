using System.Globalization;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>Checks teams, policies and routes at start-up; each failure names the key (e.g. <c>EscalationPolicies:network:Steps:0:Wait</c>).</summary>
public sealed class EscalationOptionsValidator : IValidateOptions<EscalationOptions>
{
    public ValidateOptionsResult Validate(string? name, EscalationOptions o)
    {
        var errors = new List<string>();
        foreach (var (team, t) in o.Teams)
        {
            var k = $"Teams:{team}";
            for (var i = 0; i < t.Members.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(t.Members[i].Id))
                {
                    errors.Add($"{k}:Members:{i}:Id is missing (the member's chat user id, e.g. U0123456789).");
                }
            }

            if (t.Rotation is { } r)
            {
                if (r.Members.Count == 0)
                {
                    errors.Add($"{k}:Rotation:Members is empty; list the user ids who take turns.");
                }

                if (Durations.Parse(r.ShiftLength) is not { } shift || shift < TimeSpan.FromHours(1))
                {
                    errors.Add($"{k}:Rotation:ShiftLength '{r.ShiftLength}' must be a duration of at least 1h, e.g. 1w, 1d, 12h.");
                }

                if (!TimeOnly.TryParseExact(r.HandoffTime, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    errors.Add($"{k}:Rotation:HandoffTime '{r.HandoffTime}' must be HH:mm, e.g. 09:00.");
                }

                if (!DateOnly.TryParseExact(r.Start, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    errors.Add($"{k}:Rotation:Start '{r.Start}' must be a date, yyyy-MM-dd.");
                }

                try
                {
                    TimeZoneInfo.FindSystemTimeZoneById(r.TimeZone);
                }
                catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    errors.Add($"{k}:Rotation:TimeZone '{r.TimeZone}' is not a known time zone; use an IANA id such as Europe/Paris.");
                }
            }

            for (var i = 0; i < t.Overrides.Count; i++)
            {
                var over = t.Overrides[i];
                if (string.IsNullOrWhiteSpace(over.User) || over.To <= over.From)
                {
                    errors.Add($"{k}:Overrides:{i} needs a User and From before To.");
                }
            }

            if (t.Policy is { } p && !o.EscalationPolicies.ContainsKey(p))
            {
                errors.Add($"{k}:Policy '{p}' is not in EscalationPolicies.");
            }
        }

        foreach (var (policy, p) in o.EscalationPolicies)
        {
            var k = $"EscalationPolicies:{policy}";
            if (p.Steps.Count == 0)
            {
                errors.Add($"{k}:Steps is empty; a policy needs at least one step.");
            }

            for (var i = 0; i < p.Steps.Count; i++)
            {
                if (p.Steps[i].Targets.Count == 0)
                {
                    errors.Add($"{k}:Steps:{i}:Targets is empty.");
                }

                CheckTargets(o, p.Steps[i].Targets, $"{k}:Steps:{i}:Targets", errors);
                if (Durations.Parse(p.Steps[i].Wait) is null)
                {
                    errors.Add($"{k}:Steps:{i}:Wait '{p.Steps[i].Wait}' is not a duration; write 30s, 5m, 1h.");
                }

                foreach (var (setting, text, parse) in new (string, string?, Action<string>)[]
                {
                    ("Window", p.Steps[i].Window, t => TimeWindow.Parse(t)),
                    ("ContinueIf", p.Steps[i].ContinueIf, t => AlertCondition.Parse(t)),
                })
                {
                    try
                    {
                        if (!string.IsNullOrWhiteSpace(text))
                        {
                            parse(text);
                        }
                    }
                    catch (FormatException e)
                    {
                        errors.Add($"{k}:Steps:{i}:{setting}: {e.Message}");
                    }
                }
            }

            if (p.Repeat is < 0 or > 10)
            {
                errors.Add($"{k}:Repeat is {p.Repeat}; it must be from 0 to 10.");
            }

            CheckTargets(o, p.Fallback, $"{k}:Fallback", errors);
        }

        CheckRoute(o, o.Routes, "Routes", errors);
        foreach (var (hookName, hook) in o.OutgoingWebhooks)
        {
            if (hook.Url is not { IsAbsoluteUri: true } url || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"OutgoingWebhooks:{hookName}:Url must be an http(s) address.");
            }

            if ((hook.Secret?.Length ?? 0) < 16)
            {
                errors.Add($"OutgoingWebhooks:{hookName}:Secret must be at least 16 characters: it signs every call.");
            }
        }

        foreach (var (user, person) in o.People)
        {
            var k = $"People:{user}";
            foreach (var (list, rules) in new[] { ("Notify", person.Notify), ("NotifyImportant", person.NotifyImportant) })
            {
                for (var i = 0; i < rules.Count; i++)
                {
                    try
                    {
                        var channel = NotificationRule.Parse(rules[i]).Channel;
                        if (PersonOptions.AddressSetting(channel) is { } setting && person.AddressOn(channel) is null)
                        {
                            errors.Add($"{k}:{list}:{i} '{rules[i]}' needs {k}:{setting}.");
                        }
                    }
                    catch (FormatException e)
                    {
                        errors.Add($"{k}:{list}:{i}: {e.Message}");
                    }
                }
            }

            if (person.Phone is { Length: > 0 } phone && !System.Text.RegularExpressions.Regex.IsMatch(phone, @"^\+[1-9][0-9]{6,14}$"))
            {
                errors.Add($"{k}:Phone '{phone}' must be in E.164 form, e.g. +15551230001.");
            }

            if (person.Email is { Length: > 0 } email && !System.Text.RegularExpressions.Regex.IsMatch(email, @"^[^@\s]+@[^@\s]+\.[^@\s]+$"))
            {
                errors.Add($"{k}:Email '{email}' is not an e-mail address.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckTargets(EscalationOptions o, List<string> targets, string key, List<string> errors)
    {
        for (var i = 0; i < targets.Count; i++)
        {
            var (kind, value) = Target.Split(targets[i]);
            var ok = kind switch
            {
                "oncall" or "team" or "roundrobin" => o.Teams.ContainsKey(value),
                "usergroup" or "user" => value.Length > 0,
                "" => value.Equals("channel", StringComparison.OrdinalIgnoreCase),
                "webhook" => o.OutgoingWebhooks.ContainsKey(value),
                _ => false,
            };
            if (!ok)
            {
                errors.Add(kind is "oncall" or "team" or "roundrobin"
                    ? $"{key}:{i} '{targets[i]}' names no team in Teams."
                    : kind == "webhook" ? $"{key}:{i} '{targets[i]}' names no webhook in OutgoingWebhooks."
                    : $"{key}:{i} '{targets[i]}' is not a target; write oncall:<team>, team:<team>, roundrobin:<team>, usergroup:<id>, user:<id>, channel or webhook:<name>.");
            }
        }
    }

    private static void CheckRoute(EscalationOptions o, RouteOptions r, string key, List<string> errors)
    {
        for (var i = 0; i < r.Match.Count; i++)
        {
            try
            {
                LabelMatcher.Parse(r.Match[i]);
            }
            catch (FormatException e)
            {
                errors.Add($"{key}:Match:{i}: {e.Message}");
            }
        }

        for (var i = 0; i < r.Policies.Count; i++)
        {
            if (!o.EscalationPolicies.ContainsKey(r.Policies[i]))
            {
                errors.Add($"{key}:Policies:{i} '{r.Policies[i]}' is not in EscalationPolicies.");
            }
        }

        if (r.Severity is { Length: > 0 } s && SeverityText.Parse(s) is null)
        {
            errors.Add($"{key}:Severity '{s}' must be SEV1..SEV4.");
        }

        for (var i = 0; i < r.Routes.Count; i++)
        {
            CheckRoute(o, r.Routes[i], $"{key}:Routes:{i}", errors);
        }
    }
}

public static class Target
{
    public static (string Kind, string Value) Split(string target)
    {
        var colon = target.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? ("", target) : (target[..colon].Trim().ToLowerInvariant(), target[(colon + 1)..].Trim());
    }
}
