using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Moq;
using static Bot.TestKit.Alerts;

namespace Bot.Core.Tests.Chat;

/// <summary>
/// A summary's refresh updates the pinned summary each time, and the channel's topic only when it changed: a storm's
/// refreshes, every 2 s, change the counts, not the topic, and Slack allows about 20 topic changes a minute.
/// </summary>
public abstract class RefreshSummaryTests(StoreEngine engine) : StoreContract(engine)
{
    private static readonly DateTimeOffset T0 = TestStore.Start;

    [Fact]
    public async Task AStormsRefreshes_UpdateTheSummaryEachTime_AndSetTheTopicOnlyWhenItChanged()
    {
        await using var t = NewStore();
        await t.IngestAsync(Batch("g1", Firing("first", T0)));
        await t.AttachChannelAsync(1, "C1", "S1");
        var chat = new Mock<IChat>();
        var topics = new List<string>();
        chat.Setup(c => c.UpdateAsync(It.IsAny<ChatMessageRef>(), It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        chat.Setup(c => c.SetTopicAsync("C1", It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Callback<string, string, CancellationToken>((_, topic, _) => topics.Add(topic))
            .Returns(Task.CompletedTask);
        var handler = new RefreshSummaryHandler(t.Store, chat.Object, t.Store);

        async Task RefreshAsync()
        {
            var job = RefreshSummaryJob.For(1, t.Time.GetUtcNow());
            await handler.HandleAsync(job, EffectJob.Of(job, job.DueAt) with { Id = 1 }, CancellationToken.None);
            t.Time.Advance(RefreshSummaryJob.Length);
        }

        for (var i = 0; i < 5; i++)
        {
            await t.IngestAsync(Batch("g1", Firing($"a{i}", T0)));
            await RefreshAsync();
        }

        await t.Store.WriteAsync(s =>
        {
            var i = s.GetIncident(1)!;
            s.AppendTimeline(1, i.Acknowledge(new Actor("U1", "alice"), s.Now));
            s.UpdateIncident(i);
            return 0;
        });
        await RefreshAsync();
        await RefreshAsync();

        chat.Verify(c => c.UpdateAsync(new ChatMessageRef("C1", "S1"), It.IsAny<ChatMessage>(), It.IsAny<CancellationToken>()), Times.Exactly(7));
        Assert.Equal(2, topics.Count);
        Assert.Contains("| triggered |", topics[0]);
        Assert.Contains("| acknowledged |", topics[1]);
    }
}

public sealed class RefreshSummaryTestsInMemory() : RefreshSummaryTests(StoreEngine.Memory);
