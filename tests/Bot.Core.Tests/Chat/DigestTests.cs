using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Chat;

/// <summary>Alert changes reach chat as one digest per incident per window, whatever the storm.</summary>
public abstract class DigestTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    private static async Task<List<EffectJob>> DueJobsAsync(TestStore t)
    {
        var all = new List<EffectJob>();
        while (await t.Store.WriteAsync(s => s.ClaimDueJobs(100, TimeSpan.FromMinutes(1))) is { Count: > 0 } jobs)
        {
            all.AddRange(jobs);
            await t.Store.WriteAsync(s => { jobs.ToList().ForEach(j => s.CompleteJob(j)); return 0; });
        }

        return all;
    }

    [Fact]
    public async Task Storm_InOneWindow_EnqueuesOneDigest_AndTheNextWindowAnother()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("first", T0)));

        for (var i = 0; i < 100; i++)
        {
            await t.IngestAsync(Batch("g1", Firing($"a{i}", T0)));
        }

        t.Time.Advance(DigestJob.Length);
        await t.IngestAsync(Batch("g1", Firing("late", T0)));
        t.Time.Advance(DigestJob.Length + DigestJob.Settle);

        var digests = (await DueJobsAsync(t)).Where(j => j.Kind == DigestJob.Kind).ToList();
        Assert.Equal(2, digests.Count);
        Assert.All(digests, d => Assert.StartsWith("INC-1:digest:", d.Key));
    }

    [Fact]
    public async Task Digest_NotDueBeforeItsWindowCloses()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("first", T0)));
        await t.IngestAsync(Batch("g1", Firing("second", T0)));

        Assert.DoesNotContain(await DueJobsAsync(t), j => j.Kind == DigestJob.Kind);
    }

    [Fact]
    public async Task DigestHandler_PostsTheWindowsEntries_Capped()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("first", T0)));
        await t.AttachChannelAsync(1, "C1");
        t.Time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 30; i++)
        {
            await t.IngestAsync(Batch("g1", Firing($"a{i}", T0)));
        }

        var chat = new Mock<IChat>();
        string? posted = null;
        chat.Setup(c => c.PostAsync("C1", It.IsAny<ChatMessage>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<string, ChatMessage, string, CancellationToken>((_, m, _, _) => posted = m.Text)
            .ReturnsAsync(new ChatMessageRef("C1", "1"));
        var job = DigestJob.For(1, t.Time.GetUtcNow());

        await new DigestHandler(t.Store, chat.Object).HandleAsync(job, EffectJob.Of(job, job.DueAt) with { Id = 1 }, CancellationToken.None);

        Assert.NotNull(posted);
        var lines = posted!.Split('\n');
        Assert.Equal(DigestHandler.MaxLines + 1, lines.Length);
        Assert.Contains("Alert joined: HighErrorRate: HighErrorRate on a0", lines[0]);
        Assert.Equal("... and 10 more updates (see the timeline)", lines[^1]);
        Assert.DoesNotContain("opened", posted); // the summary already says so
    }
}

public sealed class DigestTestsInMemory() : DigestTests(StoreEngine.Memory);
