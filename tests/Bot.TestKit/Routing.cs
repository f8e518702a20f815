using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Microsoft.Extensions.Options;

namespace Bot.TestKit;

/// <summary>Paging set up as a team would: alerts named HighErrorRate route to the network policy, Breach to security's.</summary>
public static class Routing
{
    public static EscalationOptions Config() => new()
    {
        Teams = new(StringComparer.OrdinalIgnoreCase)
        {
            ["network"] = new TeamOptions { Members = [new MemberOptions { Id = "U-BOB", Name = "bob" }] },
            ["security"] = new TeamOptions { Members = [new MemberOptions { Id = "U-CAROL", Name = "carol" }] },
        },
        EscalationPolicies = new(StringComparer.OrdinalIgnoreCase)
        {
            ["network"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["team:network"], Wait = "15m" }] },
            ["security"] = new PolicyOptions { Steps = [new StepOptions { Targets = ["team:security"], Wait = "10m" }] },
        },
        Routes = new RouteOptions
        {
            Routes = [new RouteOptions { Match = ["alertname=HighErrorRate"], Policies = ["network"] }, new RouteOptions { Match = ["alertname=Breach"], Policies = ["security"] }],
        },
    };

    /// <summary>The grouping stage with these routes.</summary>
    public static AlertIntake Intake(IncidentOptions? incidents = null) =>
        new(new IncidentRules(Options.Create(incidents ?? new IncidentOptions())), new Escalator(Options.Create(Config())));
}
