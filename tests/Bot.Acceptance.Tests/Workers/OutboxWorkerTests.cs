using Bot.Core.Effects;
using Bot.Core.Ports;
using Bot.Core.Store;
using Microsoft.Extensions.Time.Testing;

namespace Bot.Acceptance.Tests.Workers;

/// <summary>The running bot deletes outbox jobs done longer ago than Outbox:KeepDone, on its own.</summary>
public class OutboxWorkerTests
{
    [Fact]
    public async Task DoneJobs_AreDeleted_OnceKeepDoneHasPassed_NotBefore()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 3, 0, 0, TimeSpan.Zero));
        await using var bot = await BotServer.StartAsync(
            new Dictionary<string, string?> { ["Outbox:KeepDone"] = "01:00:00" }, b => b.Services.AddSingleton<TimeProvider>(time));
        var store = bot.Services.GetRequiredService<IIncidentStore>();
        await CompleteAsync(store, "done-long-ago");

        time.Advance(TimeSpan.FromHours(2)); // past KeepDone and past the clean-up's first pass, a minute after start
        await CompleteAsync(store, "done-just-now");

        await BotServer.EventuallyAsync(() => EnqueueAgainAsync(store, time, "done-long-ago"), deleted => deleted, TimeSpan.FromSeconds(10), "the old job's deletion");
        Assert.False(await EnqueueAgainAsync(store, time, "done-just-now")); // kept: its key still refuses a second job
    }

    private static Task CompleteAsync(IIncidentStore store, string key) => store.WriteAsync(s =>
    {
        s.Enqueue(TestJob.Row(key, s.Now));
        s.CompleteJob(s.ClaimDueJobs(10, TimeSpan.FromMinutes(1)).Single(j => j.Key == key).Id);
        return 0;
    });

    /// <summary>Asks for a job with this key again, due now, and says whether the outbox took it (its key was free).</summary>
    private static Task<bool> EnqueueAgainAsync(IIncidentStore store, FakeTimeProvider time, string key) =>
        store.WriteAsync(s =>
        {
            s.Enqueue(TestJob.Row(key, s.Now, $"again-{key}"));
            return s.ClaimDueJobs(100, TimeSpan.FromMinutes(1)).Any(j => j.Key == key);
        });
}
