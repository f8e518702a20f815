using System.Collections.Concurrent;

namespace Bot.Slack.WebApi;

/// <summary>
/// Slack allows about one message per second per channel. Posts to one channel take turns in arrival order, each
/// at least <see cref="Spacing"/> after the previous one; nothing is dropped.
/// </summary>
public sealed class ChannelPacer(TimeProvider time)
{
    public static readonly TimeSpan Spacing = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Turn> _channels = new(StringComparer.Ordinal);

    public async Task<T> RunAsync<T>(string channel, Func<Task<T>> post, CancellationToken cancellationToken)
    {
        var turn = _channels.GetOrAdd(channel, _ => new Turn());
        await turn.Gate.WaitAsync(cancellationToken);
        try
        {
            var wait = turn.Last + Spacing - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            return await post();
        }
        finally
        {
            turn.Last = time.GetUtcNow();
            turn.Gate.Release();
        }
    }

    private sealed class Turn
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public DateTimeOffset Last { get; set; } = DateTimeOffset.MinValue;
    }
}
