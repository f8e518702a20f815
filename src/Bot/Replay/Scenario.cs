using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bot.Replay;

/// <summary>
/// A replayable incident: timestamped webhooks and commands (format in docs/replay.md). Read from YAML or JSON; every
/// error names the step and the field.
/// </summary>
public sealed partial record Scenario(string Name, string? Description, DateTimeOffset Start, IReadOnlyList<ScenarioStep> Steps)
{
    /// <summary>The scenario's own settings (its <c>settings</c> mapping, as <c>--Section:Key=value</c>): teams, people, policies.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")]
    private static partial System.Text.RegularExpressions.Regex SlugName();

    public static Scenario Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ScenarioException($"{Path.GetFullPath(path)}: no such file.");
        }

        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ScenarioException($"{path}: not valid YAML/JSON at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ScenarioException($"{path}: a scenario is one mapping with name, start and steps.");
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = Text(root, "name", "scenario") is { } given
            ? SlugName().IsMatch(given) ? given : throw new ScenarioException(
                $"scenario: 'name' '{given}' must be a slug (letters, digits, '-', '_' and '.', starting with a letter or digit, at most 80): it names the output folder.")
            : Core.Chat.IncidentChannelName.Slug(Path.GetFileNameWithoutExtension(path), 80) is { Length: > 0 } slug ? slug : "scenario";
        var startText = Text(root, "start", "scenario") ?? throw new ScenarioException("scenario: 'start' is missing (the first step's date and time, e.g. 2023-08-05T10:00:00Z).");
        var start = Time(startText, null, "scenario: 'start'");
        if (Child(root, "steps") is not YamlSequenceNode steps || steps.Children.Count == 0)
        {
            throw new ScenarioException("scenario: 'steps' must be a list of at least one step.");
        }

        var list = new List<ScenarioStep>();
        var previous = start;
        for (var i = 0; i < steps.Children.Count; i++)
        {
            var where = $"step {i + 1}";
            if (steps.Children[i] is not YamlMappingNode step)
            {
                throw new ScenarioException($"{where}: must be a mapping with 'at' and one of 'webhook', 'command' or 'reply'.");
            }

            var at = Time(Text(step, "at", where) ?? throw new ScenarioException($"{where}: 'at' is missing (HH:MM on the start date, or an ISO-8601 time)."), start, $"{where}: 'at'");
            if (at < previous)
            {
                throw new ScenarioException($"{where}: 'at' {at:yyyy-MM-dd HH:mm:ss} is before the step above ({previous:yyyy-MM-dd HH:mm:ss}); steps go forward in time.");
            }

            previous = at;
            list.Add(Child(step, "webhook") is YamlMappingNode webhook ? Webhook(webhook, at, folder, where)
                : Child(step, "command") is YamlMappingNode command ? Command(command, at, where)
                : Child(step, "reply") is YamlMappingNode reply ? Reply(reply, at, where)
                : throw new ScenarioException($"{where}: needs a 'webhook', 'command' or 'reply' mapping."));
        }

        var settings = Child(root, "settings") switch
        {
            null => [],
            YamlMappingNode m => Flatten(m, "").Select(kv => $"--{kv.Key}={kv.Value}").ToList(),
            _ => throw new ScenarioException("scenario: 'settings' must be a mapping of the bot's settings (as in appsettings.json)."),
        };
        return new Scenario(name, Text(root, "description", "scenario"), start, list) { Settings = settings };
    }

    private static WebhookStep Webhook(YamlMappingNode node, DateTimeOffset at, string folder, string where)
    {
        var source = Text(node, "source", where) ?? throw new ScenarioException($"{where}: webhook 'source' is missing (alertmanager, grafana, generic, or a configured source).");
        string json;
        if (Child(node, "payload") is { } payload)
        {
            json = Json(payload)?.ToJsonString() ?? "null";
        }
        else if (Text(node, "payloadFile", where) is { } file)
        {
            var full = Path.Combine(folder, file);
            json = File.Exists(full) ? File.ReadAllText(full) : throw new ScenarioException($"{where}: payloadFile {full} does not exist.");
        }
        else
        {
            throw new ScenarioException($"{where}: the webhook needs a 'payload' (the body, as YAML or JSON) or a 'payloadFile'.");
        }

        return new WebhookStep(at, source, Text(node, "format", where), json);
    }

    private static CommandStep Command(YamlMappingNode node, DateTimeOffset at, string where)
    {
        var user = Text(node, "user", where) ?? throw new ScenarioException($"{where}: command 'user' is missing (who typed it).");
        var text = Text(node, "text", where) ?? throw new ScenarioException($"{where}: command 'text' is missing (what follows /incident).");
        return new CommandStep(at, user, Text(node, "name", where) ?? user, text.StartsWith("/incident ", StringComparison.Ordinal) ? text["/incident ".Length..] : text, Text(node, "incident", where));
    }

    /// <summary>A person answering a page outside chat: <c>reply: { user: U01BOB, via: sms, text: "1" }</c>.</summary>
    private static ReplyStep Reply(YamlMappingNode node, DateTimeOffset at, string where)
    {
        var user = Text(node, "user", where) ?? throw new ScenarioException($"{where}: reply 'user' is missing (who answers the page).");
        var via = Text(node, "via", where) ?? "sms";
        if (via is not ("sms" or "voice" or "email"))
        {
            throw new ScenarioException($"{where}: reply 'via' '{via}' must be sms, voice or email.");
        }

        return new ReplyStep(at, user, via, Text(node, "text", where) ?? "1");
    }

    private static IEnumerable<KeyValuePair<string, string>> Flatten(YamlNode node, string prefix) => node switch
    {
        YamlMappingNode m => m.Children.SelectMany(kv => Flatten(kv.Value, prefix.Length == 0 ? ((YamlScalarNode)kv.Key).Value! : $"{prefix}:{((YamlScalarNode)kv.Key).Value}")),
        YamlSequenceNode s => s.Children.SelectMany((c, i) => Flatten(c, $"{prefix}:{i}")),
        YamlScalarNode v => [KeyValuePair.Create(prefix, v.Value ?? "")],
        _ => [],
    };

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Text(YamlMappingNode node, string key, string where) => Child(node, key) switch
    {
        null => null,
        YamlScalarNode s => s.Value,
        _ => throw new ScenarioException($"{where}: '{key}' must be a single value."),
    };

    /// <summary>HH:MM[:SS] on the start's date, or an ISO-8601 time (UTC unless it says otherwise).</summary>
    private static DateTimeOffset Time(string text, DateTimeOffset? start, string where)
    {
        if (start is { } s && TimeSpan.TryParseExact(text, ["h\\:mm", "hh\\:mm", "h\\:mm\\:ss", "hh\\:mm\\:ss"], CultureInfo.InvariantCulture, out var clock) && clock < TimeSpan.FromDays(1))
        {
            return new DateTimeOffset(s.UtcDateTime.Date, TimeSpan.Zero) + clock;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new ScenarioException($"{where} '{text}' is not a time (HH:MM, or ISO-8601 such as 2023-08-05T10:00:00Z).");
    }

    /// <summary>YAML to JSON: plain scalars that read as numbers, booleans or null stay so; quoted ones are strings.</summary>
    private static JsonNode? Json(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Json(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(Json).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } p => p.Value switch
        {
            null or "null" or "~" or "" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            var v when long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !v.Contains(':', StringComparison.Ordinal) => JsonValue.Create(d),
            var v => JsonValue.Create(v),
        },
        YamlScalarNode q => JsonValue.Create(q.Value ?? ""),
        _ => null,
    };
}

public abstract record ScenarioStep(DateTimeOffset At);

/// <param name="Format">The body's format when the source is not a configured one (default: the source's name).</param>
public sealed record WebhookStep(DateTimeOffset At, string Source, string? Format, string Json) : ScenarioStep(At);

/// <param name="Incident">INC-n the command is typed in; default: the incident the scenario opened last.</param>
public sealed record CommandStep(DateTimeOffset At, string User, string Name, string Text, string? Incident) : ScenarioStep(At);

/// <param name="Via">sms, voice or email: the page answered.</param>
/// <param name="Text">What the person answered: <c>1</c> acknowledges (a reply, a key pressed, a link followed).</param>
public sealed record ReplyStep(DateTimeOffset At, string User, string Via, string Text) : ScenarioStep(At);

/// <summary>The scenario file is wrong; the message says where and how.</summary>
public sealed class ScenarioException(string message) : Exception(message);
