using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Bot.Core.Incidents;

namespace Bot.Core.Commands;

/// <summary>
/// Parses the text after <c>/incident</c>. Words are separated by any whitespace; "double" or “curly” quotes keep
/// words together; Slack mentions (<c>&lt;@U123|alice&gt;</c>) name people. Errors carry the usage line.
/// </summary>
public static partial class CommandParser
{
    /// <summary>The longest command, in characters (a note of about a page; Slack's own messages stop at 4,000).</summary>
    public const int MaxLength = 4000;

    public static IncidentCommand Parse(string? text, DateTimeOffset now, string command = "/incident")
    {
        if (text?.Length > MaxLength)
        {
            throw new CommandException($"The command is {text.Length} characters long; at most {MaxLength}. Put long text in a document and link it.");
        }

        var words = Tokenize(Text.SafeText.Clean(text ?? ""));
        if (words.Count == 0)
        {
            throw new CommandException($"Say what to do. Try {command} help.");
        }

        var name = words[0].ToLowerInvariant();
        var spec = CommandCatalog.Find(name)
            ?? throw new CommandException($"Unknown command '{words[0]}'. Try {command} help for the list.");
        var args = words.Skip(1).ToList();
        var rest = string.Join(" ", args).Trim();
        CommandException Bad(string why) => new($"{why} {spec.Usage(command)}");

        switch (name)
        {
            case "list" or "help" or "ack" or "mitigated" or "reopen" or "timeline" or "postmortem" or "tasks" or "escalate":
                return args.Count == 0 ? new IncidentCommand(name) : throw Bad($"{command} {name} takes no arguments.");

            case "declare":
                return Declare(args, Bad);

            case "status":
                var progress = args.Count == 1 ? args[0].ToLowerInvariant() : "";
                return Incident.ProgressValues.Contains(progress)
                    ? new IncidentCommand(name) { Text = progress }
                    : throw Bad($"Say which status: {string.Join(", ", Incident.ProgressValues)}.");

            case "resolve":
                return new IncidentCommand(name) { Text = rest.Length == 0 ? null : rest };

            case "sev":
                return args.Count == 1 && SeverityText.Parse(args[0]) is { } sev
                    ? new IncidentCommand(name) { Severity = sev }
                    : throw Bad("Give a severity from 1 (worst) to 4.");

            case "lead":
                return args.Count == 1 && Mention(args[0]) is { } lead
                    ? new IncidentCommand(name) { User = lead }
                    : throw Bad("Name one person, e.g. @alice.");

            case "role":
                return args.Count == 2 && Mention(args[1]) is { } holder && Mention(args[0]) is null
                    ? new IncidentCommand(name) { Role = args[0].ToLowerInvariant(), User = holder }
                    : throw Bad("Give a role name and one person.");

            case "note":
                return Note(args, now, Bad);

            case "task":
                return TaskCommand(args, Bad);

            case "page":
                return args.Count >= 1 && Mention(args[0]) is null
                    ? new IncidentCommand(name) { Team = args[0].ToLowerInvariant(), Text = args.Count > 1 ? string.Join(" ", args.Skip(1)) : null }
                    : throw Bad("Name the team to page.");

            case "notify":
                return new IncidentCommand(name) { Text = rest };

            case "oncall" when args.Count >= 1 && args[0].Equals("override", StringComparison.OrdinalIgnoreCase):
                // oncall override @bob 4h [team]
                return args.Count is 3 or 4 && Mention(args[1]) is { } taker && Escalation.Durations.Parse(args[2]) is { } length && length > TimeSpan.Zero && length <= TimeSpan.FromDays(31)
                    ? new IncidentCommand(name) { Role = "override", User = taker, Text = args[2], Team = args.Count == 4 ? args[3].ToLowerInvariant() : null }
                    : throw Bad("Write oncall override @user <how long, up to 31d> [team], e.g. oncall override @bob 4h network.");

            case "oncall":
                return args.Count <= 1 ? new IncidentCommand(name) { Team = args.Count == 1 ? args[0].ToLowerInvariant() : null } : throw Bad("Name one team, or none for all.");

            case "title" when rest.Length > Incident.MaxTitle:
                throw Bad($"A title is at most {Incident.MaxTitle} characters.");

            default: // title, update, impact, cause, resolution: free text
                return rest.Length > 0 ? new IncidentCommand(name) { Text = rest } : throw Bad("The text is missing.");
        }
    }

    /// <summary>Reads <c>&lt;@U123|alice&gt;</c>, <c>&lt;@U123&gt;</c> or <c>@alice</c>; null for anything else.</summary>
    public static UserRef? Mention(string word)
    {
        var m = SlackMention().Match(word);
        if (m.Success)
        {
            return new UserRef(m.Groups["id"].Value, m.Groups["name"].Success ? m.Groups["name"].Value : null);
        }

        return word.Length > 1 && word[0] == '@' && !word[1..].Any(char.IsWhiteSpace) ? new UserRef(word[1..], word[1..]) : null;
    }

    /// <summary>
    /// Free text with each mention of a person (<c>&lt;@U123|alice&gt;</c>, <c>&lt;@U123&gt;</c>) written as people read it:
    /// <c>@</c> and the name <paramref name="nameOf"/> knows them by (null: none), else the mention's own, else their id.
    /// Stored so, a note or an update reads as typed on the timeline, in the console and the postmortem, and the bot's
    /// repeating it in the chat notifies nobody.
    /// </summary>
    public static string? ReadableMentions(string? text, Func<string, string?> nameOf) =>
        text is null || !text.Contains("<@", StringComparison.Ordinal)
            ? text
            : AnyMention().Replace(text, m => "@" + (nameOf(m.Groups["id"].Value) ?? (m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["id"].Value)));

    /// <summary>The ids of the people <paramref name="text"/> mentions, each once.</summary>
    public static IEnumerable<string> MentionedIds(string text) => AnyMention().Matches(text).Select(m => m.Groups["id"].Value).Distinct(StringComparer.Ordinal);

    /// <summary>Splits on whitespace, keeping quoted runs ("..." or “...”) together without their quotes.</summary>
    public static List<string> Tokenize(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var inWord = false;
        foreach (var c in text)
        {
            if (c is '"' or '\u201C' or '\u201D')
            {
                quoted = !quoted;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static IncidentCommand Declare(List<string> args, Func<string, CommandException> bad)
    {
        Severity? severity = null;
        string? team = null;
        var title = new List<string>(args);
        if (title.Count >= 1 && IsSeverityWord(title[^1]))
        {
            severity = SeverityText.Parse(title[^1]);
            title.RemoveAt(title.Count - 1);
        }
        else if (title.Count >= 2 && IsSeverityWord(title[^2]))
        {
            severity = SeverityText.Parse(title[^2]);
            team = title[^1].ToLowerInvariant();
            title.RemoveRange(title.Count - 2, 2);
        }

        var text = string.Join(" ", title).Trim();
        return text.Length == 0 ? throw bad("The title is missing.")
            : text.Length > Incident.MaxTitle ? throw bad($"A title is at most {Incident.MaxTitle} characters.")
            : new IncidentCommand("declare") { Text = text, Severity = severity, Team = team };
    }

    private static IncidentCommand TaskCommand(List<string> args, Func<string, CommandException> bad)
    {
        var kind = IncidentTask.Corrective;
        if (args.Count > 0 && args[0].ToLowerInvariant() is IncidentTask.Corrective or IncidentTask.Preventive or "preventative")
        {
            kind = args[0].ToLowerInvariant() == IncidentTask.Corrective ? IncidentTask.Corrective : IncidentTask.Preventive;
            args = args.Skip(1).ToList();
        }

        UserRef? assignee = null;
        if (args.Count > 0 && Mention(args[^1]) is { } who)
        {
            assignee = who;
            args = args.SkipLast(1).ToList();
        }

        var title = string.Join(" ", args).Trim();
        if (title.Length == 0)
        {
            throw bad("The task's title is missing.");
        }

        return title.Length > 256
            ? throw bad($"The title is {title.Length} characters; keep it under 256 and put details in the issue.")
            : new IncidentCommand("task") { Text = title, Role = kind, User = assignee };
    }

    private static bool IsSeverityWord(string word) => word.StartsWith("sev", StringComparison.OrdinalIgnoreCase) && SeverityText.Parse(word) is not null;

    private static IncidentCommand Note(List<string> args, DateTimeOffset now, Func<string, CommandException> bad)
    {
        if (args.Count == 0)
        {
            throw bad("The note is missing.");
        }

        DateTimeOffset? at = null;
        var first = args[0];
        if (ClockTime().Match(first) is { Success: true } clock)
        {
            var (h, m) = (int.Parse(clock.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(clock.Groups[2].Value, CultureInfo.InvariantCulture));
            if (h > 23 || m > 59)
            {
                throw bad($"'{first}' is not a time of day (HH:MM, UTC).");
            }

            var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddHours(h).AddMinutes(m);
            at = today > now ? today.AddDays(-1) : today; // the most recent such time, never in the future
            args = args.Skip(1).ToList();
        }
        else if (first.Length >= 10 && char.IsAsciiDigit(first[0]) && first[4] == '-')
        {
            if (!DateTimeOffset.TryParse(first, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                throw bad($"'{first}' is not an ISO-8601 time.");
            }

            if (parsed > now)
            {
                throw bad($"{parsed.UtcDateTime:yyyy-MM-dd HH:mm} UTC is in the future.");
            }

            at = parsed;
            args = args.Skip(1).ToList();
        }

        var text = string.Join(" ", args).Trim();
        return text.Length == 0 ? throw bad("The note is missing.") : new IncidentCommand("note") { Text = text, At = at };
    }

    [GeneratedRegex(@"^<@(?<id>[A-Z0-9]+)(\|(?<name>[^>]+))?>$")]
    private static partial Regex SlackMention();

    [GeneratedRegex(@"<@(?<id>[A-Z0-9]+)(\|(?<name>[^<>]+))?>")]
    private static partial Regex AnyMention();

    [GeneratedRegex(@"^(\d{1,2}):(\d{2})$")]
    private static partial Regex ClockTime();
}
