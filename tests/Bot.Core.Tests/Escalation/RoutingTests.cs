using System.Text.Json;
using Bot.Core.Alerts;
using Bot.Core.Escalation;
using Bot.Core.Incidents;

namespace Bot.Core.Tests.Escalation;

/// <summary>Route matching as a table, with the routes written as in appsettings.</summary>
public class RoutingTests
{
    private const string Routes = """
        {
          "Policies": ["default"],
          "Routes": [
            { "Match": ["team=network", "incident_severity=SEV1"], "Policies": ["network", "security"] },
            { "Match": ["team=network"], "Policies": ["network"] },
            { "Match": ["service=~db-.*"], "Policies": ["database"], "Severity": "SEV2", "Continue": true },
            { "Match": ["env!=staging", "service=~db-.*|cache"], "Policies": ["platform"] },
            { "Match": ["team=security"], "Policies": ["security"],
              "Routes": [ { "Match": ["alertname!~Test.*"], "Policies": ["security-urgent"] } ] }
          ]
        }
        """;

    private static readonly Routing Sut = new(JsonSerializer.Deserialize<RouteOptions>(Routes, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    [Theory]
    [InlineData("team=network", Severity.Sev2, "network", null)]
    [InlineData("team=network", Severity.Sev1, "network,security", null)]
    [InlineData("team=network,incident_severity=SEV1", Severity.Sev2, "network", null)] // the incident's severity, not a label of that name
    [InlineData("service=db-orders", Severity.Sev3, "database,platform", Severity.Sev2)]
    [InlineData("service=db-orders,env=staging", Severity.Sev3, "database", Severity.Sev2)]
    [InlineData("service=cache", Severity.Sev3, "platform", null)]
    [InlineData("team=security,alertname=Intrusion", Severity.Sev2, "security-urgent", null)]
    [InlineData("team=security,alertname=TestAlert", Severity.Sev2, "security", null)]
    [InlineData("team=payments", Severity.Sev2, "default", null)]
    [InlineData("", Severity.Sev4, "default", null)]
    public void Route_PicksPoliciesAndSeverity(string labels, Severity severity, string policies, Severity? forced)
    {
        var set = LabelSet.From(labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).Select(p => KeyValuePair.Create(p[0], p[1])));

        var decision = Sut.Route(set, severity);

        Assert.Equal(policies, string.Join(",", decision.Policies));
        Assert.Equal(forced, decision.Severity);
    }

    [Theory]
    [InlineData("team=~(net", "the regex is not valid")]
    [InlineData("team", "is not a matcher")]
    [InlineData("1team=x", "is not a matcher")]
    public void BadMatcher_IsRefusedWithTheReason(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => LabelMatcher.Parse(text)).Message);

    [Fact]
    public void NoRoutes_DecideNothing_ButASeverityOnlyRouteStillDecides()
    {
        var labels = new Dictionary<string, string> { ["team"] = "network" };
        var none = new Routing(new RouteOptions()).Route(labels, Severity.Sev3);
        Assert.Empty(none.Policies);
        Assert.Null(none.Severity);

        var severityOnly = new Routing(new RouteOptions { Routes = [new RouteOptions { Match = ["team=network"], Severity = "SEV1" }] });
        Assert.Equal(Severity.Sev1, severityOnly.Route(labels, Severity.Sev3).Severity);
    }

    /// <summary>
    /// A policy named twice pages once, whether one route names it twice (in any case) or two routes that both decide
    /// (the first continues) name it; the severity is the first deciding route's that has one. Asked again, the same.
    /// </summary>
    [Fact]
    public void APolicyNamedTwice_IsDecidedOnce_ByOneRouteOrTwo()
    {
        var routing = new Routing(new RouteOptions
        {
            Routes =
            [
                new RouteOptions { Match = ["team=network"], Policies = ["network", "Network", "security"] },
                new RouteOptions { Match = ["team=db"], Policies = ["database"], Continue = true },
                new RouteOptions { Match = ["team=db"], Policies = ["Database", "platform"], Severity = "SEV2" },
            ],
        });

        for (var asked = 0; asked < 2; asked++)
        {
            var one = routing.Route(new Dictionary<string, string> { ["team"] = "network" }, Severity.Sev3);
            Assert.Equal(["network", "security"], one.Policies);
            Assert.Null(one.Severity);

            var two = routing.Route(new Dictionary<string, string> { ["team"] = "db" }, Severity.Sev3);
            Assert.Equal(["database", "platform"], two.Policies);
            Assert.Equal(Severity.Sev2, two.Severity);
        }
    }

    [Fact]
    public void Regex_IsAnchored() => Assert.False(LabelMatcher.Parse("service=~db").Matches(new Dictionary<string, string> { ["service"] = "db-orders" }));

    [Fact]
    public void MissingLabel_ReadsAsEmpty() => Assert.True(LabelMatcher.Parse("env!=staging").Matches(new Dictionary<string, string>()));
}
