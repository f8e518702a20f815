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
}
