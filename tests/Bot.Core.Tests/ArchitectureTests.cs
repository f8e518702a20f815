using System.Reflection;
using NetArchTest.Rules;

namespace Bot.Core.Tests;

/// <summary>
/// The boundaries, enforced: Core knows no adapter, no I/O and no HTTP, and its stages depend on each other one way, in
/// the order of the pipeline (docs/architecture.md). A change that breaks one fails here, naming the types.
/// </summary>
public class ArchitectureTests
{
    private static readonly Assembly Core = typeof(BotStartupException).Assembly;

    /// <summary>Each stage, and the stages (and base folders) it may use. Anything else is a dependency the wrong way.</summary>
    public static TheoryData<string, string[]> Stages => new()
    {
        { "Text", [] },
        { "Ports", [] },
        { "Telemetry", [] },
        { "Alerts", ["Text", "Telemetry"] },
        { "Incidents", ["Alerts", "Ports", "Text", "Telemetry"] },
        { "Effects", ["Ports", "Telemetry"] },
        { "Chat", ["Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Postmortems", ["Chat", "Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Tasks", ["Postmortems", "Chat", "Incidents", "Effects", "Ports", "Text", "Telemetry"] },
        { "Escalation", ["Chat", "Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Intake", ["Escalation", "Postmortems", "Chat", "Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Heartbeats", ["Intake", "Escalation", "Chat", "Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Commands", ["Intake", "Tasks", "Escalation", "Postmortems", "Chat", "Incidents", "Effects", "Ports", "Alerts", "Text", "Telemetry"] },
        { "Reports", ["Incidents", "Text", "Telemetry"] },
    };

    private static readonly string[] All = ["Text", "Ports", "Telemetry", "Alerts", "Incidents", "Effects", "Chat", "Postmortems", "Tasks", "Escalation", "Intake", "Heartbeats", "Commands", "Reports", "Store"];

    [Theory]
    [MemberData(nameof(Stages))]
    public void AStage_DependsOnlyOnTheStagesBeforeIt(string stage, string[] allowed)
    {
        var forbidden = All.Where(s => s != stage && !allowed.Contains(s)).Select(s => $"Bot.Core.{s}").ToArray();

        var result = Types.InAssembly(Core).That().ResideInNamespace($"Bot.Core.{stage}").ShouldNot().HaveDependencyOnAny(forbidden).GetResult();

        Assert.True(result.IsSuccessful, $"Bot.Core.{stage} uses what it must not: {string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? [])}");
    }

    [Fact]
    public void EveryFolderOfCore_IsAStageOfThePipeline()
    {
        var namespaces = Core.GetTypes().Select(t => t.Namespace).OfType<string>().Where(n => n.StartsWith("Bot.Core.", StringComparison.Ordinal))
            .Select(n => n.Split('.')[2]).Distinct();

        Assert.All(namespaces, n => Assert.Contains(n, All));
    }

    [Fact]
    public void Core_KnowsNoAdapter_NoIo_NoHttp()
    {
        var result = Types.InAssembly(Core).ShouldNot().HaveDependencyOnAny(
                "Bot.Storage", "Bot.Slack", "Bot.GitHub", "Bot.Api", "Bot.Webhooks", "Bot.Composition", "Bot.Security", "Bot.Replay", "Bot.Workers",
                "Microsoft.AspNetCore", "System.Net.Http", "System.Net.Sockets", "System.Net.WebSockets", "System.IO.File", "System.IO.Directory",
                "System.Data", "Npgsql", "Microsoft.Data.Sqlite", "Octokit", "Polly", "YamlDotNet", "System.Diagnostics.Process")
            .GetResult();

        Assert.True(result.IsSuccessful, $"Bot.Core uses an adapter's world: {string.Join(", ", result.FailingTypes?.Select(t => t.FullName) ?? [])}");
    }

    [Fact]
    public void Core_ReferencesOnlyTheBaseLibraries()
    {
        var references = Core.GetReferencedAssemblies().Select(a => a.Name!).Order().ToList();

        Assert.All(references, r => Assert.True(r is "System.Runtime" or "System.Collections" or "System.Collections.Immutable" or "System.Linq" or "System.Text.Json"
            or "System.Text.Encodings.Web" or "System.Memory" or "System.Text.RegularExpressions" or "System.Runtime.InteropServices" or "System.Threading"
            or "System.Collections.Concurrent" or "System.ComponentModel" or "System.ComponentModel.Primitives" or "System.Console" or "System.Runtime.Intrinsics" or "System.Threading.Tasks.Parallel"
            or "System.Diagnostics.DiagnosticSource" // Meter and ActivitySource: the runtime's telemetry API, exported by the host
            || r.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && r.EndsWith(".Abstractions", StringComparison.Ordinal) || r == "Microsoft.Extensions.Options",
            $"Bot.Core references {r}"));
    }
}
