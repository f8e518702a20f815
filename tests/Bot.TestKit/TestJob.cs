using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;

namespace Bot.TestKit;

/// <summary>A job kind for tests of the outbox itself: it does what the test's handler does.</summary>
public sealed record TestJob(string Name, string Ordering) : IJob<TestJob>
{
    public static string Kind => "test.job";

    public static string Description => "run the test job";

    public static JsonTypeInfo<TestJob> Json => TestJobJsonContext.Default.TestJob;

    [JsonIgnore]
    public string Key => Name;

    [JsonIgnore]
    public string OrderingKey => Ordering;

    /// <summary>Its outbox row, due at <paramref name="dueAt"/>, run in <paramref name="lane"/> (a kind's own, for tests of the lanes).</summary>
    public static EffectJob Row(string name, DateTimeOffset dueAt, string? ordering = null, JobLane lane = JobLane.Default) =>
        EffectJob.Of(new TestJob(name, ordering ?? name), dueAt) with { Lane = lane };
}

/// <summary>Runs the test jobs through a function (or does nothing).</summary>
public sealed class TestJobHandler(Func<TestJob, EffectJob, Task>? run = null) : IJobHandler<TestJob>
{
    public Task HandleAsync(TestJob job, EffectJob row, CancellationToken cancellationToken) => run?.Invoke(job, row) ?? Task.CompletedTask;

    public static IJobRunner Runner(Func<TestJob, EffectJob, Task>? run = null) => new JobRunner<TestJob>(new TestJobHandler(run));
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TestJob))]
internal sealed partial class TestJobJsonContext : JsonSerializerContext;
