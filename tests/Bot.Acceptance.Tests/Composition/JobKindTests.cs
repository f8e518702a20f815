using System.Reflection;
using Bot.Core.Effects;

namespace Bot.Acceptance.Tests.Composition;

/// <summary>Every kind of job has one home: a typed job, registered once with its handler, with a name of its own.</summary>
public class JobKindTests
{
    private static readonly Assembly[] Assemblies = [typeof(IJob).Assembly, typeof(Slack.SlackOptions).Assembly, typeof(BotApp).Assembly];

    private static List<Type> JobTypes() => Assemblies.SelectMany(a => a.GetTypes())
        .Where(t => !t.IsAbstract && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJob<>)))
        .ToList();

    [Fact]
    public async Task EveryJobKind_IsRegisteredOnce_WithAHandler_UnderANameOfItsOwn()
    {
        await using var bot = await BotServer.StartAsync();
        var runners = bot.Services.GetServices<IJobRunner>().ToList();

        var kinds = JobTypes().Select(t => (string)t.GetProperty(nameof(IJob<TestJob>.Kind), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!).ToList();
        Assert.Equal(kinds.Count, kinds.Distinct().Count());
        Assert.Equal(kinds.Order(), runners.Select(r => r.Kind).Order());
        Assert.All(runners, r => Assert.False(string.IsNullOrWhiteSpace(r.Description)));
    }

    [Fact]
    public void EveryJob_LivesBesideItsHandler()
    {
        foreach (var job in JobTypes())
        {
            var handler = Assemblies.SelectMany(a => a.GetTypes()).Single(t => !t.IsAbstract && t.GetInterfaces().Contains(typeof(IJobHandler<>).MakeGenericType(job)));
            Assert.Equal(job.Namespace, handler.Namespace);
        }
    }

    /// <summary>Rows written before jobs were typed (their JSON then) still read as their jobs: an upgrade loses no waiting job.</summary>
    [Theory]
    [InlineData("chat.post_text", """{"incident":3,"from":null,"to":null,"text":"Update on INC-3","announce":true,"task":null}""", "PostTextJob { Incident = 3, Text = Update on INC-3, Announce = True, Key = ")]
    [InlineData("chat.digest", """{"incident":3,"from":1000,"to":6000,"text":null,"announce":false,"task":null}""", "DigestJob { Incident = 3, From = 1000, To = 6000")]
    [InlineData("tasks.file", """{"incident":3,"from":null,"to":null,"text":null,"announce":false,"task":2}""", "FileTaskJob { Incident = 3, Task = 2")]
    [InlineData("escalation.step", """{"incident":3,"policy":"network","run":1,"cycle":0,"step":2}""", "EscalationStepJob { Incident = 3, Policy = network, Run = 1, Cycle = 0, Step = 2, Due = 0")]
    [InlineData("escalation.page", """{"incident":3,"user":"U1","text":"You are paged"}""", "PageJob { Incident = 3, User = U1, Text = You are paged, Step = ")]
    [InlineData("chat.invite", """{"incident":3,"user":"U1","text":"You are paged"}""", "InviteJob { Incident = 3, User = U1, Step = ")]
    public async Task RowsOfTheEarlierFormat_StillRead(string kind, string payload, string expected)
    {
        await using var bot = await BotServer.StartAsync();
        var runner = bot.Services.GetServices<IJobRunner>().Single(r => r.Kind == kind);

        var job = runner.Read(new EffectJob("k", kind, "INC-3", payload, DateTimeOffset.UnixEpoch));

        Assert.StartsWith(expected, job.ToString()); // its fields, before the ones it computes (key, ordering)
    }
}
