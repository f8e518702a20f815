using System.Text.RegularExpressions;
using Bot.Core.Incidents;

namespace Bot.Core.Escalation;

/// <summary>A label matcher as Alertmanager writes them: <c>=</c>, <c>!=</c>, <c>=~</c>, <c>!~</c> (regexes anchored).</summary>
public sealed partial record LabelMatcher(string Label, string Op, string Value)
{
    private Regex? _regex;

    public static LabelMatcher Parse(string text)
    {
        var m = Syntax().Match(text.Trim());
        if (!m.Success)
        {
            throw new FormatException($"'{text}' is not a matcher; write label=value, label!=value, label=~regex or label!~regex.");
        }

        var value = m.Groups["value"].Value.Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        var matcher = new LabelMatcher(m.Groups["label"].Value, m.Groups["op"].Value, value);
        if (matcher.Op is "=~" or "!~")
        {
            try
            {
                matcher._regex = new Regex($"^(?:{value})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"'{text}': the regex is not valid: {e.Message}");
            }
        }

        return matcher;
    }

    /// <summary>A missing label reads as the empty string, as in Alertmanager.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var actual = labels.TryGetValue(Label, out var v) ? v : "";
        return Op switch
        {
            "=" => actual == Value,
            "!=" => actual != Value,
            "=~" => _regex!.IsMatch(actual),
            _ => !_regex!.IsMatch(actual),
        };
    }

    [GeneratedRegex(@"^(?<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*(?<value>.*)$")]
    private static partial Regex Syntax();
}

/// <summary>The route tree, read once from <see cref="RouteOptions"/>: which policies an alert pages, and its severity.</summary>
public sealed class Routing
{
    /// <summary>Pseudo-label matching the incident's severity (SEV1..SEV4), e.g. <c>incident_severity=SEV1</c>.</summary>
    public const string SeverityLabel = "incident_severity";

    private static readonly Decision Nothing = new([], null);

    private readonly Node _root;

    /// <summary>No route names a policy or a severity (no routes configured): every alert's answer is <see cref="Nothing"/>.</summary>
    private readonly bool _decidesNothing;

    public Routing(RouteOptions root)
    {
        _root = Build(root);
        _decidesNothing = !DecidesSomething(_root);
    }

    public sealed record Decision(IReadOnlyList<string> Policies, Severity? Severity);

    /// <summary>
    /// The policies and severity for an alert's labels. Called for every alert that opens or joins an incident, so a
    /// tree that decides nothing answers without copying the labels.
    /// </summary>
    public Decision Route(IReadOnlyDictionary<string, string> labels, Severity severity)
    {
        if (_decidesNothing)
        {
            return Nothing;
        }

        var all = new Dictionary<string, string>(labels) { [SeverityLabel] = severity.Display() };
        var policies = new List<string>();
        Severity? chosen = null;
        Walk(_root, all, policies, ref chosen);
        return new Decision(policies.Distinct(StringComparer.OrdinalIgnoreCase).ToList(), chosen);
    }

    /// <summary>Alertmanager's walk: the deepest matching routes decide; among siblings the first match wins unless it continues.</summary>
    private static bool Walk(Node node, Dictionary<string, string> labels, List<string> policies, ref Severity? severity)
    {
        if (!node.Matchers.All(m => m.Matches(labels)))
        {
            return false;
        }

        var childMatched = false;
        foreach (var child in node.Children)
        {
            if (Walk(child, labels, policies, ref severity))
            {
                childMatched = true;
                if (!child.Continue)
                {
                    break;
                }
            }
        }

        if (!childMatched)
        {
            policies.AddRange(node.Policies);
            severity ??= node.Severity;
        }

        return true;
    }

    private static bool DecidesSomething(Node node) => node.Policies.Count > 0 || node.Severity is not null || node.Children.Any(DecidesSomething);

    private static Node Build(RouteOptions o) => new(
        o.Match.Select(LabelMatcher.Parse).ToList(),
        o.Policies,
        string.IsNullOrEmpty(o.Severity) ? null : SeverityText.Parse(o.Severity),
        o.Continue,
        o.Routes.Select(Build).ToList());

    private sealed record Node(IReadOnlyList<LabelMatcher> Matchers, IReadOnlyList<string> Policies, Severity? Severity, bool Continue, IReadOnlyList<Node> Children);
}
