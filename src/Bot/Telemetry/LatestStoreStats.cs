using Bot.Core.Incidents;

namespace Bot.Telemetry;

/// <summary>
/// The store's counts as <see cref="StoreGauges"/> last read them (every <see cref="TelemetryOptions.StatsInterval"/>),
/// for what shows them besides the gauges: the web console's notice of held pages. Null until the first read.
/// </summary>
public sealed class LatestStoreStats
{
    private volatile Read? _last;

    /// <summary>The last counts and when they were read, together (one read, never one's counts with another's time).</summary>
    public Read? Last => _last;

    public void Set(StoreStats stats, DateTimeOffset readAt) => _last = new Read(stats, readAt);

    public sealed record Read(StoreStats Stats, DateTimeOffset At);
}
