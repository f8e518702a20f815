using Bot.Replay;

namespace Bot.Acceptance.Tests.Replay;

/// <summary>`replay`: the sample scenario through the real pipeline, and clear errors for bad scenarios.</summary>
public sealed class ReplayRunnerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "bot-replay", Guid.NewGuid().ToString("n"));

    public ReplayRunnerTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(int Code, string Out, string Err)> ReplayAsync(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var code = await ReplayRunner.RunAsync(["replay", .. args, "--out", Path.Combine(_folder, "out")], output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    private string Scenario(string yaml)
    {
        var file = Path.Combine(_folder, $"{Guid.NewGuid():n}.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    [Fact]
    public async Task TheNightVariant_PagesByDmThenSmsThenCall_AndAnSmsAcknowledgementStopsTheRest()
    {
        var (code, output, errors) = await ReplayAsync(RepoFile.Path("samples/ddos-night.yaml"));

        Assert.True(code == 0, output + errors);
        Assert.Contains("02:16 U02BOB answered the SMS: 1", output);
        var pages = File.ReadAllLines(Path.Combine(_folder, "out", "pages", "pages.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Select(p => $"{p.GetProperty("at").GetString()} {p.GetProperty("channel").GetString()} {p.GetProperty("to").GetString()}").ToList();
        Assert.Equal(["2023-08-05T02:12:00Z sms +15551230002", "2023-08-05T02:15:00Z voice +15551230002"], pages); // not the SMS of 02:20: acknowledged at 02:16

        var db = Path.Combine(_folder, "out", "bot.db");
        await using var store = Bot.Storage.Sqlite.SqliteIncidentStore.Open(new Bot.Storage.StorageOptions { SqlitePath = db }, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var timeline = (await store.GetTimelineAsync(1)).Select(e => $"{e.At:HH:mm} {e.Text}").ToList();
        Assert.Contains(timeline, e => e.StartsWith("02:10 Paged bob (network on-call), step 1 of 2", StringComparison.Ordinal));
        Assert.Contains("02:12 Sent an SMS to bob (their rule 2, 2m after the page).", timeline);
        Assert.Contains("02:15 Called bob (their rule 3, 5m after the page).", timeline);
        Assert.Contains(timeline, e => e.StartsWith("02:16 ", StringComparison.Ordinal) && e.Contains("bob (by SMS)", StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, e => e.StartsWith("02:20 Sent", StringComparison.Ordinal) || e.Contains("step 2 of 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SampleDdos_WritesAPostmortemWithTheReferenceFacts()
    {
        var (code, output, errors) = await ReplayAsync(RepoFile.Path("samples/ddos-2023-08-05.yaml"));

        Assert.True(code == 0, output + errors);
        var path = output.Split('\n').Single(l => l.StartsWith("Postmortem: ", StringComparison.Ordinal))["Postmortem: ".Length..].Trim();
        Assert.EndsWith("2023-08-05-INC-1-ddos-attack-on-the-transaction-processing-service.md", path);
        var draft = await File.ReadAllTextAsync(path);

        Assert.Contains("Outage Duration: August 5, 2023, 10:00 AM - August 5, 2023, 2:30 PM (UTC), 4 h 30 min", draft);
        Assert.Contains("Impact: Transaction Processing Service Unavailable, Users Experienced Delays, 20% Affected", draft);
        Assert.Contains("Time to acknowledge: 15 min; to mitigate: 3 h 30 min; to resolve: 4 h 30 min", draft);
        string[] timeline =
        [
            "- 10:00 AM: Issue detected as monitoring alerts showed a spike in error rates.",
            "- 10:15 AM: Engineering team engaged, initiated investigation.",
            "- 10:30 AM: Initial assumption of database connectivity issue; DB team started investigation.",
            "- 11:00 AM: Investigation shifted focus to network as DB connection tests were successful.",
            "- 11:30 AM: Network logs indicated unusual traffic patterns, network team alerted.",
            "- 12:00 PM: Network team confirmed DDoS attack; incident escalated to security team.",
            "- 12:30 PM: Security team began mitigation of DDoS attack.",
            "- 1:30 PM: Attack mitigated; system performance improved.",
            "- 2:00 PM: Full service recovery; monitoring showed stable error rates.",
        ];
        var positions = timeline.Select(line => draft.IndexOf(line, StringComparison.Ordinal)).ToList();
        Assert.All(positions.Zip(timeline), p => Assert.True(p.First >= 0, $"missing: {p.Second}"));
        Assert.Equal(positions.Order(), positions); // in time order
        Assert.Contains("**Root Cause:** The root cause of the issue was a distributed denial-of-service (DDoS) attack that overwhelmed the network infrastructure", draft);
        Assert.Contains("**Resolution:** The security team promptly analyzed the attack traffic", draft);

        var measures = Section(draft, "**Improvements/Fixes:**", "**Tasks to Address the Issue:**");
        Assert.Matches(@"^1\. \*\*Network Resilience:\*\* .*\n2\. \*\*Redundancy Planning:\*\* .*\n3\. \*\*Traffic Monitoring:\*\* .*\n$", measures);
        Assert.Contains("([issue](issues/INC-1-task-1.md), open)", measures); // a link in the repository, not a path on this machine
        var tasks = Section(draft, "**Tasks to Address the Issue:**", "**Lessons Learned:**");
        Assert.Matches(@"^1\. \*\*DDoS Response Plan:\*\* .*\n2\. \*\*Traffic Analysis Tools:\*\* .*\n3\. \*\*Communication Strategy:\*\* .*\n$", tasks);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(_folder, "out", "repo", "issues")).Length);
        Assert.StartsWith("_[To fill: what this incident taught", Section(draft, "**Lessons Learned:**", null)); // the one blank the bot cannot fill
        Assert.Single(draft.Split("_[To fill").Skip(1));

        // A timeline people read, not a log: the nine events of the reference and the milestones, no bookkeeping.
        var told = Section(draft, "**Timeline:**", "**Root Cause and Resolution:**").Trim().Split('\n');
        Assert.InRange(told.Length, 9, 16);
        Assert.DoesNotContain(told, l => l.Contains("Alert firing", StringComparison.Ordinal) || l.Contains("filed", StringComparison.Ordinal) || l.Contains("set the impact", StringComparison.Ordinal) || l.Contains("made alice the incident lead", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SampleDdos_TwiceInTwoFolders_GivesTheSameBytes()
    {
        var sample = RepoFile.Path("samples/ddos-2023-08-05.yaml");
        async Task<(int Code, byte[] Draft)> RunAsync(string folder)
        {
            var code = await ReplayRunner.RunAsync(["replay", sample, "--out", Path.Combine(_folder, folder)], new StringWriter(), new StringWriter());
            return (code, await File.ReadAllBytesAsync(Directory.GetFiles(Path.Combine(_folder, folder, "repo", "postmortems")).Single()));
        }

        var first = await RunAsync("one");
        var second = await RunAsync("somewhere-else");

        Assert.Equal((0, 0), (first.Code, second.Code));
        Assert.Equal(first.Draft, second.Draft); // no path of the machine, no order left to chance
    }

    [Fact]
    public void TheReplay_RunsOneJobAtATime_SoJobsDueTogetherCommitInOneOrder()
    {
        Assert.Contains("--Outbox:Concurrency=1", ReplayRunner.HostSettings("/tmp/x"));
        Assert.Contains("--Outbox:PagingConcurrency=1", ReplayRunner.HostSettings("/tmp/x")); // a pass runs the lanes one after the other
    }

    [Theory]
    [InlineData("start: 2023-08-05T10:00:00Z\nsteps: []\n", "'steps' must be a list of at least one step")]
    [InlineData("steps:\n  - at: \"10:00\"\n    command: { user: U1, text: ack }\n", "'start' is missing")]
    [InlineData("start: 2023-08-05T10:00:00Z\nsteps:\n  - at: \"25:00\"\n    command: { user: U1, text: ack }\n", "step 1: 'at' '25:00' is not a time")]
    [InlineData("start: 2023-08-05T10:00:00Z\nsteps:\n  - at: \"11:00\"\n    command: { user: U1, text: help }\n  - at: \"10:00\"\n    command: { user: U1, text: help }\n", "step 2: 'at' 2023-08-05 10:00:00 is before the step above")]
    [InlineData("start: 2023-08-05T10:00:00Z\nsteps:\n  - at: \"10:00\"\n    webhook: { source: generic }\n", "step 1: the webhook needs a 'payload'")]
    [InlineData("start: 2023-08-05T10:00:00Z\nsteps:\n  - at: \"10:00\"\n    command: { text: ack }\n", "step 1: command 'user' is missing")]
    [InlineData("start: [unclosed\n", "not valid YAML/JSON at line")]
    public async Task BadScenario_ExitsTwo_NamingTheField(string yaml, string expected)
    {
        var (code, _, errors) = await ReplayAsync(Scenario(yaml));

        Assert.Equal(2, code);
        Assert.Contains(expected, errors);
    }

    private const string OneStep = "start: 2023-08-05T10:00:00Z\nsteps:\n  - at: \"10:00\"\n    command: { user: U1, text: help }\n";

    [Theory]
    [InlineData("../..")]
    [InlineData("/etc")]
    [InlineData("a/../../b")]
    [InlineData(".hidden")]
    public async Task ScenarioNameThatIsNotASlug_IsRefused_AndNothingIsDeleted(string name)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());

        // Refused as the scenario is read, before any folder is chosen (the default one is data/replay/<name>).
        var code = await ReplayRunner.RunAsync(["replay", Scenario($"name: \"{name}\"\n" + OneStep), "--out", Path.Combine(_folder, "safe")], output, errors);

        Assert.Equal(2, code);
        Assert.Contains($"'name' '{name}' must be a slug", errors.ToString());
    }

    [Fact]
    public async Task OutFolderThatANonReplayFilled_IsRefused_AndKept()
    {
        var theirs = Path.Combine(_folder, "theirs");
        Directory.CreateDirectory(Path.Combine(theirs, "data"));
        File.WriteAllText(Path.Combine(theirs, "data", "bot.db"), "precious");
        var (output, errors) = (new StringWriter(), new StringWriter());

        var code = await ReplayRunner.RunAsync(["replay", Scenario(OneStep), "--out", theirs], output, errors);

        Assert.Equal(2, code);
        Assert.Contains("is not empty and was not made by a replay", errors.ToString());
        Assert.Equal("precious", File.ReadAllText(Path.Combine(theirs, "data", "bot.db")));
    }

    [Fact]
    public async Task OutFolderThatHoldsTheWorkingDirectory_IsRefused()
    {
        var (output, errors) = (new StringWriter(), new StringWriter());

        var here = await ReplayRunner.RunAsync(["replay", Scenario(OneStep), "--out", "."], output, errors);
        var above = await ReplayRunner.RunAsync(["replay", Scenario(OneStep), "--out", ".."], output, errors);

        Assert.Equal((2, 2), (here, above));
        Assert.Contains("holds the working directory", errors.ToString());
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "Bot.dll")));
    }

    [Fact]
    public async Task AReplaysOwnFolder_IsEmptiedAndUsedAgain()
    {
        var first = await ReplayAsync(Scenario(OneStep));
        File.WriteAllText(Path.Combine(_folder, "out", "left-over.txt"), "x");

        var second = await ReplayAsync(Scenario(OneStep));

        Assert.Equal((0, 0), (first.Code, second.Code));
        Assert.False(File.Exists(Path.Combine(_folder, "out", "left-over.txt")));
        Assert.True(File.Exists(Path.Combine(_folder, "out", ReplayRunner.Marker)));
    }

    [Fact]
    public async Task RefusedStep_ExitsOne_NamingTheStepAndTheBotsAnswer()
    {
        var file = Scenario("""
            start: 2023-08-05T10:00:00Z
            steps:
              - at: "10:00"
                webhook: { source: generic, payload: { title: Checkout down, severity: critical } }
              - at: "10:05"
                command: { user: U1, text: sev 9 }
            """);

        var (code, output, errors) = await ReplayAsync(file);

        Assert.Equal(1, code);
        Assert.Contains("10:00 webhook generic: 1 alert(s); opened [INC-1]", output);
        Assert.Contains("step 2: /incident sev 9 was refused: Give a severity from 1 (worst) to 4.", errors);
    }

    [Fact]
    public async Task BadPayload_IsRefusedAsTheEndpointWouldRefuseIt()
    {
        var file = Scenario("""
            start: 2023-08-05T10:00:00Z
            steps:
              - at: "10:00"
                webhook: { source: alertmanager, payload: { version: "3", alerts: [] } }
            """);

        var (code, _, errors) = await ReplayAsync(file);

        Assert.Equal(1, code);
        Assert.Contains("step 1: the alertmanager payload is refused as the bot would refuse it (400)", errors);
    }

    [Fact]
    public async Task DeclaredIncident_ResolvedInTheScenario_GetsItsDraft()
    {
        var file = Scenario("""
            name: short
            start: 2023-08-05T10:00:00Z
            steps:
              - at: "10:00"
                command: { user: U1, name: alice, text: "declare Checkout down sev2" }
              - at: "10:20"
                command: { user: U1, name: alice, text: "resolve Rolled back" }
            """);
        var (code, output, errors) = await ReplayAsync(file);

        Assert.True(code == 0, output + errors);
        var path = output.Split('\n').Single(l => l.StartsWith("Postmortem: ", StringComparison.Ordinal))["Postmortem: ".Length..].Trim();
        Assert.Contains("Outage Duration: August 5, 2023, 10:00 AM - August 5, 2023, 10:20 AM (UTC), 20 min", await File.ReadAllTextAsync(path));
    }

    private static string Section(string text, string from, string? to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal) + from.Length + 1;
        var end = to is null ? text.Length : text.IndexOf(to, StringComparison.Ordinal);
        return text[start..end].TrimEnd('\n') + "\n";
    }
}
