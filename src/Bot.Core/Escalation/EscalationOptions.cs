using System.Globalization;
using System.Text.RegularExpressions;

namespace Bot.Core.Escalation;

/// <summary>
/// Who is paged and when: top-level settings <c>Teams</c>, <c>EscalationPolicies</c> and <c>Routes</c>. With none set,
/// nobody is paged (incidents still get their channel and announcement).
/// </summary>
public sealed class EscalationOptions
{
    public Dictionary<string, TeamOptions> Teams { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, PolicyOptions> EscalationPolicies { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Webhooks a step may call (<c>webhook:&lt;name&gt;</c>), by name.</summary>
    public Dictionary<string, OutgoingWebhookOptions> OutgoingWebhooks { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How each person is reached and paged (<see cref="PersonOptions"/>), by chat user id.</summary>
    public Dictionary<string, PersonOptions> People { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The root route: its policies apply when no child route matches (the default route).</summary>
    public RouteOptions Routes { get; set; } = new();

    /// <summary>How a person is called: their name as a team member, else in <see cref="People"/>, else their id.</summary>
    public string NameOf(string user) =>
        Teams.Values.SelectMany(t => t.Members).FirstOrDefault(m => m.Id == user && m.Name is not null)?.Name ?? People.GetValueOrDefault(user)?.Name ?? user;

    /// <summary>The policy <c>/incident page &lt;team&gt;</c> starts: the team's own, else the name of the team itself (see <see cref="FindPolicy"/>).</summary>
    public string PolicyNameOfTeam(string team) => Teams[team].Policy ?? team;

    /// <summary>
    /// The policies that page <paramref name="team"/>: those with a step naming it (<c>oncall:</c>, <c>team:</c>,
    /// <c>roundrobin:</c>), its own <see cref="TeamOptions.Policy"/>, and its name (the one-step policy of <see cref="FindPolicy"/>).
    /// </summary>
    public IReadOnlyList<string> PoliciesPaging(string team) =>
        EscalationPolicies
            .Where(p => p.Value.Steps.Any(step => step.Targets.Any(t => Target.Split(t) is ("oncall" or "team" or "roundrobin", var v) && v.Equals(team, StringComparison.OrdinalIgnoreCase))))
            .Select(p => p.Key)
            .Append(team)
            .Concat(Teams.TryGetValue(team, out var own) && own.Policy is { } policy ? [policy] : [])
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>A configured policy; for a team's name without a policy of that name, one step paging its on-call; else null.</summary>
    public PolicyOptions? FindPolicy(string name) =>
        EscalationPolicies.TryGetValue(name, out var policy) ? policy
        : Teams.ContainsKey(name) ? new PolicyOptions { Steps = [new StepOptions { Targets = [$"oncall:{name}"], Wait = "0s" }] }
        : null;
}

public sealed class TeamOptions
{
    public List<MemberOptions> Members { get; set; } = [];

    /// <summary>The team's chat user group (Slack <c>S123</c>), e.g. <c>@db-oncall</c>.</summary>
    public string? UserGroup { get; set; }

    /// <summary>
    /// A chat user group (Slack <c>S123</c>) the bot keeps holding whoever is on call, changed at each hand-off
    /// (<c>@db-oncall</c> then always reaches the person on call). Needs a rotation or overrides.
    /// </summary>
    public string? OnCallUserGroup { get; set; }

    /// <summary>Tell each person by direct message when their shift starts and ends. Default true (with a rotation).</summary>
    public bool ShiftMessages { get; set; } = true;

    public RotationOptions? Rotation { get; set; }

    public List<OverrideOptions> Overrides { get; set; } = [];

    /// <summary>The escalation policy of <c>/incident page &lt;team&gt;</c>; default: a policy named like the team.</summary>
    public string? Policy { get; set; }
}

public sealed class MemberOptions
{
    /// <summary>Chat user id (Slack <c>U123</c>).</summary>
    public string Id { get; set; } = "";

    public string? Email { get; set; }

    public string? Name { get; set; }
}

/// <summary>
/// An on-call rotation: <see cref="Members"/> take turns, each for <see cref="ShiftLength"/>, handing off at
/// <see cref="HandoffTime"/> in <see cref="TimeZone"/>; the first shift starts on <see cref="Start"/>.
/// </summary>
public sealed class RotationOptions
{
    public List<string> Members { get; set; } = [];

    /// <summary><c>1w</c>, <c>1d</c>, <c>12h</c>... Whole days hand off at the same local time across daylight saving.</summary>
    public string ShiftLength { get; set; } = "1w";

    public string HandoffTime { get; set; } = "09:00";

    /// <summary>IANA id such as <c>Europe/Paris</c>; default UTC.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>The first shift's date (yyyy-MM-dd), at <see cref="HandoffTime"/>.</summary>
    public string Start { get; set; } = "2023-01-02";
}

/// <summary>Someone else is on call from <see cref="From"/> to <see cref="To"/> (ISO-8601; UTC unless it says otherwise).</summary>
public sealed class OverrideOptions
{
    public string User { get; set; } = "";

    public DateTimeOffset From { get; set; }

    public DateTimeOffset To { get; set; }
}

public sealed class PolicyOptions
{
    public List<StepOptions> Steps { get; set; } = [];

    /// <summary>How many times the steps run again after the first pass when nobody acknowledges. Default 0.</summary>
    public int Repeat { get; set; }

    /// <summary>Targets notified when the policy is exhausted.</summary>
    public List<string> Fallback { get; set; } = [];
}

public sealed class StepOptions
{
    /// <summary>
    /// <c>oncall:&lt;team&gt;</c>, <c>team:&lt;team&gt;</c>, <c>roundrobin:&lt;team&gt;</c> (the next member in turn, one per
    /// page), <c>usergroup:&lt;id&gt;</c>, <c>user:&lt;id&gt;</c>, <c>channel</c> (everyone in the incident's channel).
    /// </summary>
    public List<string> Targets { get; set; } = [];

    /// <summary>How long to wait for an acknowledgement before the next step: <c>30s</c>, <c>5m</c>, <c>1h</c>.</summary>
    public string Wait { get; set; } = "5m";

    /// <summary>When the step applies (<see cref="TimeWindow"/>: <c>Mon-Fri 09:00-18:00 Europe/Berlin</c>); outside it, it is skipped.</summary>
    public string? Window { get; set; }

    /// <summary>
    /// Go on to this step only if the incident took this many new alerts lately (<see cref="AlertCondition"/>:
    /// <c>5 alerts in 10m</c>); otherwise the escalation stops here, and says why.
    /// </summary>
    public string? ContinueIf { get; set; }
}

/// <summary>An Alertmanager-style route: matchers on the alert's labels, the policies it pages, child routes.</summary>
public sealed class RouteOptions
{
    /// <summary><c>label=value</c>, <c>label!=value</c>, <c>label=~regex</c>, <c>label!~regex</c> (regexes anchored). All must hold.</summary>
    public List<string> Match { get; set; } = [];

    public List<string> Policies { get; set; } = [];

    /// <summary>Sets the incident's severity (SEV1..SEV4) when this route decides.</summary>
    public string? Severity { get; set; }

    /// <summary>Go on to the next sibling route after this one matched.</summary>
    public bool Continue { get; set; }

    public List<RouteOptions> Routes { get; set; } = [];
}

/// <summary>Durations as people write them: <c>30s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>, <c>1w</c>, or <c>hh:mm:ss</c>.</summary>
public static partial class Durations
{
    public static TimeSpan? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var m = Pattern().Match(text.Trim());
        if (m.Success && m.Groups["part"].Captures.Count > 0)
        {
            var total = TimeSpan.Zero;
            for (var i = 0; i < m.Groups["n"].Captures.Count; i++)
            {
                var n = int.Parse(m.Groups["n"].Captures[i].Value, CultureInfo.InvariantCulture);
                total += m.Groups["unit"].Captures[i].Value switch
                {
                    "w" => TimeSpan.FromDays(7 * n),
                    "d" => TimeSpan.FromDays(n),
                    "h" => TimeSpan.FromHours(n),
                    "m" => TimeSpan.FromMinutes(n),
                    _ => TimeSpan.FromSeconds(n),
                };
            }

            return total;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero ? span : null;
    }

    public static string Format(TimeSpan span) =>
        span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s"
        : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m{(span.Seconds > 0 ? $"{span.Seconds}s" : "")}"
        : $"{(int)span.TotalHours}h{(span.Minutes > 0 ? $"{span.Minutes}m" : "")}";

    [GeneratedRegex(@"^(?<part>(?<n>\d{1,6})(?<unit>[wdhms]))+$")]
    private static partial Regex Pattern();
}
