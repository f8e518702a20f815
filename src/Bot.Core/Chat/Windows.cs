namespace Bot.Core.Chat;

/// <summary>
/// A time window in Unix milliseconds, for jobs that gather what happened in it (a digest, a summary refresh): the job's
/// key names its window, so any number of changes in one window ask for one job, which runs once the window closes.
/// </summary>
public readonly record struct Window(long From, long To)
{
    /// <summary>The window of <paramref name="length"/> that holds <paramref name="now"/>.</summary>
    public static Window Holding(DateTimeOffset now, TimeSpan length)
    {
        var ms = (long)length.TotalMilliseconds;
        var from = now.ToUnixTimeMilliseconds() / ms * ms;
        return new Window(from, from + ms);
    }

    public DateTimeOffset Start => DateTimeOffset.FromUnixTimeMilliseconds(From);

    public DateTimeOffset End => DateTimeOffset.FromUnixTimeMilliseconds(To);
}
