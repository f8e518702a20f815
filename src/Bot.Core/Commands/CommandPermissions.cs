using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Microsoft.Extensions.Options;

namespace Bot.Core.Commands;

/// <summary>
/// Who may run each <c>/incident</c> command, whatever it comes from (Slack, the API, a button, the declare form).
/// With <see cref="IncidentOptions.Responders"/> empty, everyone may do everything a permission does not restrict: the
/// try-out on one machine. Once responders are listed, reading and notes stay open to anyone and every
/// command that changes the incident or pages someone is for <see cref="Responders"/> and the incident's
/// <see cref="Lead"/>; <c>Incidents:Permissions:&lt;command&gt;</c> replaces a command's list. A refusal says who may.
/// </summary>
public sealed class CommandPermissions
{
    /// <summary>Everyone.</summary>
    public const string Anyone = "anyone";

    /// <summary>The people and user groups of <c>Incidents:Responders</c>, the members of every team, and the people escalation policies name.</summary>
    public const string Responders = "responders";

    /// <summary>The incident's lead (for commands about an incident).</summary>
    public const string Lead = "lead";

    /// <summary>Commands anyone may run by default: they read, or add a note.</summary>
    public static readonly IReadOnlySet<string> OpenByDefault = new HashSet<string>(StringComparer.Ordinal) { "help", "list", "oncall", "notify", "timeline", "tasks", "note" };

    private readonly IncidentOptions _options;
    private readonly HashSet<string> _responders;
    private readonly string _teams;

    public CommandPermissions(IOptions<IncidentOptions> incidents, IOptions<EscalationOptions>? escalation = null)
    {
        _options = incidents.Value;
        var teams = escalation?.Value.Teams ?? [];
        var policyUsers = (escalation?.Value.EscalationPolicies.Values ?? Enumerable.Empty<PolicyOptions>())
            .SelectMany(p => p.Steps.SelectMany(s => s.Targets).Concat(p.Fallback))
            .Select(Target.Split).Where(t => t.Kind == "user").Select(t => t.Value);
        _responders = new HashSet<string>(
            _options.Responders.Concat(teams.Values.SelectMany(t => t.Members.Select(m => m.Id))).Concat(policyUsers), StringComparer.Ordinal);
        _teams = teams.Count == 0 ? "" : $", and the members of team{(teams.Count == 1 ? "" : "s")} {string.Join(", ", teams.Keys.Order(StringComparer.Ordinal))}";
    }

    /// <summary>True once responders are listed: the commands not in <see cref="OpenByDefault"/> are then theirs by default.</summary>
    public bool Restricted => _options.Responders.Count > 0;

    /// <summary>Who may run the command: <see cref="Anyone"/>, <see cref="Responders"/>, <see cref="Lead"/>, or user and user-group ids.</summary>
    public IReadOnlyList<string> WhoMay(string command) =>
        _options.Permissions.TryGetValue(command, out var configured) ? configured
        : !Restricted || OpenByDefault.Contains(command) ? [Anyone]
        : CommandCatalog.Find(command) is { InIncidentChannel: false } ? [Responders] // no incident, so no lead
        : [Responders, Lead];

    /// <summary>Every user-group id the permissions name: a person's membership of these is asked of the chat.</summary>
    public IEnumerable<string> Groups => _options.Responders.Concat(_options.Permissions.Values.SelectMany(v => v)).Where(IsGroupId).Distinct(StringComparer.Ordinal);

    /// <summary>Null when <paramref name="user"/> may run the command; else why not, and who may.</summary>
    public string? Refusal(string command, Actor user, IReadOnlyList<string>? groups, Incident? incident)
    {
        var who = WhoMay(command);
        var mine = groups ?? [];
        var allowed = who.Any(w => w switch
        {
            Anyone => true,
            Responders => _responders.Contains(user.Id) || mine.Any(_responders.Contains),
            Lead => incident?.Lead?.Id == user.Id,
            _ => w == user.Id || mine.Contains(w),
        });
        if (allowed)
        {
            return null;
        }

        var described = who.Select(w => w switch
        {
            Responders => $"responders (the people and groups of Incidents:Responders{_teams})",
            Lead => incident?.Lead is { } lead ? $"the incident's lead ({lead.Name})" : "the incident's lead",
            _ => w,
        });
        var what = command == "sev" ? "change the severity" : command;
        return $"Only {string.Join(" or ", described)} may {what} (setting Incidents:Permissions:{command}). Ask one of them, or add a note.";
    }

    private static bool IsGroupId(string id) => id.Length > 1 && id[0] == 'S' && id.Skip(1).All(char.IsAsciiLetterOrDigit);
}
