using Bot.Core.Alerts;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Core.Postmortems;

namespace Bot.Core.Tests.Postmortems;

public class PostmortemRendererTests
{
    private static readonly DateTimeOffset T0 = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);
    private static readonly Actor Alice = new("U1", "alice");
    private static readonly Actor Network = new("U2", "bob");

    /// <summary>The reference postmortem's incident (docs/replay.md: samples/ddos-2023-08-05.yaml), as the bot would hold it.</summary>
    internal static (Incident, List<TimelineEntry>, List<IncidentTask>) DdosIncident()
    {
        var (incident, opened) = Incident.Open("Transaction API error rate spike", Severity.Sev2, "alertmanager", "g", Actor.Source("alertmanager"), "Incident opened by alert HighErrorRate from alertmanager.", T0);
        incident.AssignNumber(42);
        DateTimeOffset At(int h, int m) => T0.Date.AddHours(h).AddMinutes(m) is var d ? new DateTimeOffset(d, TimeSpan.Zero) : default;
        var timeline = new List<TimelineEntry>
        {
            new(T0, TimelineKind.AlertFiring, Actor.Source("alertmanager"), "Alert firing: HighErrorRate {alertname=\"HighErrorRate\", instance=\"lb-1:9100\"}"),
            opened,
            new(T0, TimelineKind.ChatChannel, Actor.Bot, "Incident channel #inc-20230805-ddos created."),
            new(T0, TimelineKind.Note, Alice, "Issue detected as monitoring alerts showed a spike in error rates."),
            new(At(10, 15), TimelineKind.Note, Alice, "Engineering team engaged, initiated investigation."),
            incident.Acknowledge(Alice, At(10, 15)),
            new(At(10, 30), TimelineKind.Note, Alice, "Initial assumption of database connectivity issue; DB team started investigation."),
            new(At(11, 0), TimelineKind.Note, Alice, "Investigation shifted focus to network as DB connection tests were successful."),
            new(At(11, 30), TimelineKind.Note, Network, "Network logs indicated unusual traffic patterns, network team alerted."),
            new(At(12, 0), TimelineKind.Note, Network, "Network team confirmed DDoS attack; incident escalated to security team."),
            incident.SetSeverity(Severity.Sev1, Network, At(12, 0))!,
            new(At(12, 30), TimelineKind.Note, Network, "Security team began mitigation of DDoS attack."),
            new(At(13, 30), TimelineKind.Note, Network, "Attack mitigated; system performance improved."),
            incident.Mitigate(Network, At(13, 30)),
            new(At(14, 0), TimelineKind.Note, Network, "Full service recovery; monitoring showed stable error rates."),
            new(At(14, 0), TimelineKind.AlertResolved, Actor.Source("alertmanager"), "Alert resolved: HighErrorRate {alertname=\"HighErrorRate\", instance=\"lb-1:9100\"}"),
            new(At(14, 5), TimelineKind.Task, Alice, "alice added corrective task 1: Network Resilience: deploy traffic analysis and filtering for DDoS"),
            new(At(14, 5), TimelineKind.Task, Actor.Bot, "Task 1 (corrective) filed: https://github.com/acme/ops/issues/101"),
        };
        incident.AssignLead(Alice, Alice, At(10, 16));
        incident.SetImpact("Transaction Processing Service Unavailable, Users Experienced Delays, 20% Affected", Alice, At(14, 10));
        incident.SetCause("The root cause of the issue was a distributed denial-of-service (DDoS) attack that overwhelmed the network infrastructure, leading to severe performance degradation.", Alice, At(14, 20));
        incident.SetResolution("The security team promptly analyzed the attack traffic and identified patterns consistent with a DDoS attack. Mitigation techniques, including rate limiting and traffic filtering, were implemented to block malicious traffic and ensure the network stability.", Alice, At(14, 25));
        timeline.Add(incident.Resolve(Alice, At(14, 30)));
        var alert = new Alert("fp", AlertStatus.Resolved, LabelSet.From([KeyValuePair.Create("alertname", "HighErrorRate")]), LabelSet.Empty, T0, At(14, 0), null);
        var tasks = new List<IncidentTask>
        {
            new(IncidentTask.Corrective, "Network Resilience: deploy traffic analysis and filtering for DDoS", "https://github.com/acme/ops/issues/101", "open"),
            new(IncidentTask.Corrective, "Redundancy Planning: redundant critical components", "https://github.com/acme/ops/issues/102", "open"),
            new(IncidentTask.Corrective, "Traffic Monitoring: real-time anomaly detection", "https://github.com/acme/ops/issues/103", "closed"),
            new(IncidentTask.Preventive, "DDoS Response Plan: document the response", "https://github.com/acme/ops/issues/104", "open"),
            new(IncidentTask.Preventive, "Traffic Analysis Tools: classify malicious traffic", "https://github.com/acme/ops/issues/105", "open"),
            new(IncidentTask.Preventive, "Communication Strategy: engineering, security and network protocols", "https://github.com/acme/ops/issues/106", "open"),
        };
        incident.TallyAlert(alert, null, At(14, 0));
        return (incident, timeline, tasks);
    }

    [Fact]
    public void Render_TheReferenceIncident_MatchesTheGoldenFile()
    {
        var (incident, timeline, tasks) = DdosIncident();

        var markdown = PostmortemRenderer.Render(incident, timeline, tasks);

        // UPDATE_GOLDEN=1 dotnet test ... rewrites the golden file in tests/Fixtures: review its diff before committing.
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Bot.Tests.Shared.RepoFile.Path("tests/Fixtures/postmortems/INC-42-ddos.md"), markdown);
        }

        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "postmortems", "INC-42-ddos.md"));
        Assert.Equal(golden, markdown);
    }

    [Fact]
    public void Render_CarriesTheReferenceFacts()
    {
        var (incident, timeline, tasks) = DdosIncident();

        var markdown = PostmortemRenderer.Render(incident, timeline, tasks);

        Assert.Contains("Outage Duration: August 5, 2023, 10:00 AM - August 5, 2023, 2:30 PM (UTC), 4 h 30 min", markdown);
        Assert.Contains("Time to acknowledge: 15 min; to mitigate: 3 h 30 min; to resolve: 4 h 30 min", markdown);
        Assert.Contains("- 11:30 AM: Network logs indicated unusual traffic patterns, network team alerted. (bob)", markdown);
        Assert.Contains("- 2:00 PM: Full service recovery; monitoring showed stable error rates. (bob)", markdown);
        Assert.Contains("**Root Cause:** The root cause of the issue was a distributed denial-of-service (DDoS) attack", markdown);
        Assert.Contains("1. **Network Resilience:** deploy traffic analysis and filtering for DDoS ([issue](https://github.com/acme/ops/issues/101), open)", markdown);
        Assert.Contains("3. **Communication Strategy:** engineering, security and network protocols ([issue](https://github.com/acme/ops/issues/106), open)", markdown);
        Assert.Contains("**Lessons Learned:**\n_[To fill: what this incident taught", markdown);
    }

    [Fact]
    public void Timeline_TellsWhatRespondersWroteAndTheMilestones_NotTheBotsBookkeeping()
    {
        var (incident, timeline, tasks) = DdosIncident();

        var told = PostmortemRenderer.Render(incident, timeline, tasks).Split("**Timeline:**\n")[1].Split("\n\n")[0].Split('\n');

        Assert.Equal(14, told.Length); // the reference's nine events, and the opening, acknowledgement, severity, mitigation and resolution
        Assert.DoesNotContain(told, l => l.Contains("Alert firing", StringComparison.Ordinal) || l.Contains("Alert resolved", StringComparison.Ordinal));
        Assert.DoesNotContain(told, l => l.Contains("channel", StringComparison.Ordinal) || l.Contains("task", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("- 10:15 AM: alice acknowledged the incident.", told);
        Assert.Contains("- 1:30 PM: bob marked the incident mitigated.", told);
        Assert.Contains("- 2:30 PM: alice resolved the incident.", told);
    }

    [Fact]
    public void Render_IsDeterministic() =>
        Assert.Equal(PostmortemRenderer.Render(DdosIncident().Item1, DdosIncident().Item2, DdosIncident().Item3),
                     PostmortemRenderer.Render(DdosIncident().Item1, DdosIncident().Item2, DdosIncident().Item3));

    [Fact]
    public void Render_MissingFacts_AreMarkedBlanks()
    {
        var (incident, _) = Incident.Open("Disk full", Severity.Sev3, "manual", "g", Alice, "declared", T0);
        incident.AssignNumber(7);

        var markdown = PostmortemRenderer.Render(incident, [], []);

        Assert.Contains("Outage Duration: August 5, 2023, 10:00 AM - ongoing (UTC)", markdown);
        Assert.Contains("Impact: _[To fill: who was affected, how, how many]_", markdown);
        Assert.Contains("**Root Cause:** _[To fill: the root cause]_", markdown);
        Assert.Contains("1. _[To fill: corrective measures", markdown);
        Assert.Contains("to resolve: _[To fill: not reached]_", markdown);
    }

    [Fact]
    public void Render_UserText_CannotBreakTheMarkdown()
    {
        var (incident, _) = Incident.Open("**bold** [link](http://x) <script>", Severity.Sev3, "manual", "g", Alice, "declared", T0);
        incident.AssignNumber(8);
        var timeline = new List<TimelineEntry> { new(T0, TimelineKind.Note, Alice, "line one\n## not a heading\n- not a list | `code`") };

        var markdown = PostmortemRenderer.Render(incident, timeline, []);

        Assert.Contains("## Postmortem: INC-8 \\*\\*bold\\*\\* \\[link\\](http://x) \\<script\\>", markdown);
        Assert.Contains("- 10:00 AM: line one ## not a heading - not a list \\| \\`code\\` (alice)", markdown);
        Assert.Equal(1, markdown.Split('\n').Count(l => l.StartsWith("## ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_TimelineOverDays_ShowsDates()
    {
        var (incident, _) = Incident.Open("Long one", Severity.Sev3, "manual", "g", Alice, "declared", T0);
        incident.AssignNumber(9);
        var timeline = new List<TimelineEntry> { new(T0, TimelineKind.Note, Alice, "start"), new(T0.AddHours(16), TimelineKind.Note, Alice, "next day") };

        var markdown = PostmortemRenderer.Render(incident, timeline, []);

        Assert.Contains("- August 5, 2023 10:00 AM: start", markdown);
        Assert.Contains("- August 6, 2023 2:00 AM: next day", markdown);
    }

    [Theory]
    [InlineData(0, "0 min")]
    [InlineData(15, "15 min")]
    [InlineData(270, "4 h 30 min")]
    [InlineData(120, "2 h")]
    [InlineData(1500, "1 d 1 h")]
    public void Duration_Reads(int minutes, string expected) => Assert.Equal(expected, PostmortemRenderer.Duration(TimeSpan.FromMinutes(minutes)));

    [Theory]
    [InlineData(150, "3 min")] // 2.5 min: half up, not to the even 2
    [InlineData(90, "2 min")]
    [InlineData(30, "1 min")]
    [InlineData(29, "0 min")]
    public void Duration_RoundsHalfUp(int seconds, string expected) => Assert.Equal(expected, PostmortemRenderer.Duration(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("Network Resilience: deploy filtering", "**Network Resilience:** deploy filtering")]
    [InlineData("Add a circuit breaker", "Add a circuit breaker")]
    [InlineData("Fix *this*: now", "**Fix \\*this\\*:** now")]
    public void Measures_ShowTheirTitleInBold(string title, string expected)
    {
        var (incident, _) = Incident.Open("x", Severity.Sev3, "manual", "g", Alice, "declared", T0);
        incident.AssignNumber(1);

        var markdown = PostmortemRenderer.Render(incident, [], [new IncidentTask(IncidentTask.Corrective, title)]);

        Assert.Contains($"1. {expected}\n", markdown);
    }
}
