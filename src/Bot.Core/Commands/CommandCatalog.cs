namespace Bot.Core.Commands;

/// <summary>One command's documentation: the help text and the usage line in errors come from here.</summary>
public sealed record CommandSpec(string Name, string Arguments, string Summary, string Example, bool InIncidentChannel)
{
    public string Usage(string command) => $"Usage: {command} {Name}{(Arguments.Length == 0 ? "" : " " + Arguments)}";
}

/// <summary>Every <c>/incident</c> subcommand.</summary>
public static class CommandCatalog
{
    public static readonly IReadOnlyList<CommandSpec> All =
    [
        new("declare", "<title> [sev1..sev4] [team]", "open an incident by hand", "declare Checkout errors above 5% sev2 payments", false),
        new("list", "", "open incidents with status, severity, lead and age", "list", false),
        new("help", "", "this list", "help", false),
        new("oncall", "[team] | override @user <4h> [team]", "who is on call now, and until when; override: someone takes the shift from now for that long", "oncall override @bob 4h network", false),
        new("notify", "[important] [<channel> [after], ...] | reset | test", "how you are paged: your rules, or set them (chat, sms 2m, email 5m); important: for SEV1-2; test: a test page on each of your channels now", "notify important chat, sms 2m, email 5m", false),
        new("ack", "", "acknowledge: you are on it (stops your team's escalation)", "ack", true),
        new("page", "<team> [reason]", "page a team now through its escalation policy", "page security DDoS confirmed, need traffic filtering", true),
        new("escalate", "", "fire the next escalation step now", "escalate", true),
        new("status", "investigating|identified|monitoring", "where the investigation stands", "status identified", true),
        new("mitigated", "", "the impact is stopped", "mitigated", true),
        new("resolve", "[summary]", "resolve the incident", "resolve Traffic filters in place, error rate normal", true),
        new("reopen", "", "reopen a resolved incident", "reopen", true),
        new("sev", "<1-4>", "change the severity", "sev 1", true),
        new("title", "<text>", "rename the incident", "title DDoS on the transaction API", true),
        new("lead", "@user", "name the incident lead", "lead @alice", true),
        new("role", "<name> @user", "name someone to a role", "role comms @bob", true),
        new("note", "[HH:MM | ISO-8601 time] <text>", "add to the timeline, optionally backdated (UTC)", "note 10:30 DB connection tests pass", true),
        new("timeline", "", "the timeline so far, shown to you only", "timeline", true),
        new("update", "<text>", "post a status update here and in the incidents channel", "update Mitigation in progress, next update 13:00", true),
        new("impact", "<text>", "the impact, for the postmortem", "impact 20% of transactions failed", true),
        new("cause", "<text>", "the root cause, for the postmortem", "cause DDoS attack saturated the load balancers", true),
        new("resolution", "<text>", "how it was resolved, for the postmortem", "resolution Rate limiting and traffic filtering", true),
        new("task", "[corrective|preventive] <title> [@user]", "file a follow-up task as an issue (corrective unless said)", "task preventive Write a DDoS response plan @alice", true),
        new("tasks", "", "the incident's tasks with their issue links and state", "tasks", true),
        new("postmortem", "", "write (or refresh) the postmortem draft; also done on resolve", "postmortem", true),
    ];

    public static CommandSpec? Find(string name) => All.FirstOrDefault(c => c.Name == name);

    public static string Help(string command) =>
        $"{command} commands (inside an incident channel unless marked *):\n" +
        string.Join("\n", All.Select(c => $"{(c.InIncidentChannel ? " " : "*")} {command} {c.Name}{(c.Arguments.Length == 0 ? "" : " " + c.Arguments)}: {c.Summary}. Example: {command} {c.Example}"));
}
