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
    public bool Matches(IReadOnlyDictionary<string, string> labels) => MatchesValue(labels.TryGetValue(Label, out var v) ? v : "");

    /// <summary>Whether the label's value (the empty string when the label is missing) matches.</summary>
    public bool MatchesValue(string actual)
    {
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
    /// The policies and severity for an alert's labels. Called for every alert that opens or joins an incident (a
    /// storm's every new alert), so it reads the labels where they are, the severity as one more label, and a tree that
    /// decides nothing answers at once.
    /// </summary>
    public Decision Route(IReadOnlyDictionary<string, string> labels, Severity severity)
    {
        if (_decidesNothing)
        {
            return Nothing;
        }

        var walk = new Walker(labels, severity.Display());
        walk.Visit(_root);
        return (walk.Deciding, walk.Policies) switch
        {
            (null, _) => Nothing,
            ({ } one, null) => one.Decision, // one route decided (most alerts): its answer, made once
            (_, { } gathered) => new Decision(Once(gathered), walk.Severity),
        };
    }

    /// <summary>Alertmanager's walk: the deepest matching routes decide; among siblings the first match wins unless it continues.</summary>
    private struct Walker(IReadOnlyDictionary<string, string> labels, string severityText)
    {
        /// <summary>The one route that decided, while only one did; then <see cref="Policies"/> and <see cref="Severity"/> gather.</summary>
        public Node? Deciding;
        public List<string>? Policies;
        public Severity? Severity;

        public bool Visit(Node node)
        {
            foreach (var matcher in node.Matchers)
            {
                // The incident's severity reads as the label SeverityLabel, whatever the alert's labels say of it.
                var actual = matcher.Label == SeverityLabel ? severityText : labels.TryGetValue(matcher.Label, out var v) ? v : "";
                if (!matcher.MatchesValue(actual))
                {
                    return false;
                }
            }

            var childMatched = false;
            foreach (var child in node.Children)
            {
                if (Visit(child))
                {
                    childMatched = true;
                    if (!child.Continue)
                    {
                        break;
                    }
                }
            }

            if (!childMatched && (node.Policies.Count > 0 || node.Severity is not null))
            {
                if (Deciding is null)
                {
                    Deciding = node;
                }
                else
                {
                    if (Policies is null)
                    {
                        Policies = [.. Deciding.Policies]; // a second route decides too: their answers gather
                        Severity = Deciding.Severity;
                    }

                    Policies.AddRange(node.Policies);
                    Severity ??= node.Severity;
                }
            }

            return true;
        }
    }

    private static bool DecidesSomething(Node node) => node.Policies.Count > 0 || node.Severity is not null || node.Children.Any(DecidesSomething);

    private static Node Build(RouteOptions o) => new(
        o.Match.Select(LabelMatcher.Parse).ToList(),
        o.Policies,
        string.IsNullOrEmpty(o.Severity) ? null : SeverityText.Parse(o.Severity),
        o.Continue,
        o.Routes.Select(Build).ToList());

    private sealed record Node(IReadOnlyList<LabelMatcher> Matchers, IReadOnlyList<string> Policies, Severity? Severity, bool Continue, IReadOnlyList<Node> Children)
    {
        /// <summary>The answer when this route alone decides: its policies once each (case aside) and its severity.</summary>
        public Decision Decision { get; } = new(Once(Policies), Severity);
    }

    /// <summary>Each policy once, the first spelling kept: names are compared case aside.</summary>
    private static IReadOnlyList<string> Once(IEnumerable<string> policies) => [.. policies.Distinct(StringComparer.OrdinalIgnoreCase)];
}
