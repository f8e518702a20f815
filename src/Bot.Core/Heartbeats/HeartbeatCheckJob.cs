using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Core.Heartbeats;

/// <summary>
/// A heartbeat's check, first due at <see cref="Due"/> (Unix ms); each beat moves it later. Its own ordering key: a
/// waiting check blocks nothing.
/// </summary>
public sealed record HeartbeatCheckJob(string Name, long Due) : IDelayedJob, IJob<HeartbeatCheckJob>
{
    public static string Kind => "heartbeat.check";

    public static string Description => "check the heartbeat";

    public static JobLane Lane => JobLane.Timers;

    public static JsonTypeInfo<HeartbeatCheckJob> Json => HeartbeatJsonContext.Default.HeartbeatCheckJob;

    [JsonIgnore]
    public string Key => $"heartbeat:{Name}:{Due}";

    [JsonIgnore]
    public string OrderingKey => Key;

    [JsonIgnore]
    public DateTimeOffset DueAt => DateTimeOffset.FromUnixTimeMilliseconds(Due);
}

/// <summary>Runs a due check in one unit of work.</summary>
public sealed class HeartbeatCheckHandler(IUnitOfWork<IHeartbeatSession> store, HeartbeatMonitor monitor) : IJobHandler<HeartbeatCheckJob>
{
    public Task HandleAsync(HeartbeatCheckJob job, EffectJob run, CancellationToken cancellationToken) =>
        store.WriteAsync(s => monitor.Check(s, job.Name), cancellationToken);
}

public static class HeartbeatJobs
{
    public static IServiceCollection AddHeartbeats(this IServiceCollection services)
    {
        services.AddSingleton<HeartbeatMonitor>();
        return services.AddJob<HeartbeatCheckJob, HeartbeatCheckHandler>();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HeartbeatCheckJob))]
public sealed partial class HeartbeatJsonContext : JsonSerializerContext;
