using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Store;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bot.TestKit;

/// <summary>
/// An empty store on a fake clock (starting <see cref="Start"/>), for one test: in memory, or a real engine's (Bot.Storage.Tests
/// gives SQLite and PostgreSQL). Tests of Core's stages run on each engine through <see cref="StoreContract"/>.
/// </summary>
public abstract class TestStore : IAsyncDisposable
{
    /// <summary>2023-08-05 10:00 UTC: the start of the reference incident.</summary>
    public static readonly DateTimeOffset Start = new(2023, 8, 5, 10, 0, 0, TimeSpan.Zero);

    protected TestStore(FakeTimeProvider time, IncidentOptions? incidents)
    {
        Time = time;
        Intake = new AlertIntake(new IncidentRules(Options.Create(incidents ?? new IncidentOptions())));
    }

    public FakeTimeProvider Time { get; }

    public abstract IIncidentStore Store { get; }

    public AlertIntake Intake { get; }

    /// <summary>Ingests a webhook's batch as the webhook endpoint does: queued with its group's other work when it has one group.</summary>
    public Task<IngestReport> IngestAsync(AlertBatch batch) =>
        Intake.AffinityOf(batch) is { } group ? Store.WriteAsync(s => Intake.Ingest(s, batch), group) : Store.WriteAsync(s => Intake.Ingest(s, batch));

    /// <summary>Gives the incident the chat channel <paramref name="channelId"/> (named inc-x), and its pinned summary's message when named, as the chat's jobs would.</summary>
    public Task AttachChannelAsync(long incident, string channelId, string? summaryMessageId = null) =>
        Store.WriteAsync(s =>
        {
            var i = s.GetIncident(incident)!;
            s.AppendTimeline(incident, i.AttachChannel(channelId, "inc-x", s.Now));
            if (summaryMessageId is not null)
            {
                i.AttachSummary(summaryMessageId, s.Now);
            }

            s.UpdateIncident(i);
            return 0;
        });

    /// <summary>Closes the store and opens the same data again, as a restarted bot would.</summary>
    public abstract Task ReopenAsync();

    public abstract ValueTask DisposeAsync();
}

/// <summary>Where a test's store lives: <see cref="Memory"/> here; Bot.Storage.Tests adds SQLite and PostgreSQL.</summary>
public abstract class StoreEngine(string name)
{
    public static readonly StoreEngine Memory = new MemoryEngine();

    public string Name => name;

    public abstract TestStore Create(IncidentOptions? incidents = null);

    public override string ToString() => name;

    private sealed class MemoryEngine() : StoreEngine("memory")
    {
        public override TestStore Create(IncidentOptions? incidents = null) => new MemoryStore(new FakeTimeProvider(TestStore.Start), incidents);
    }

    private sealed class MemoryStore(FakeTimeProvider time, IncidentOptions? incidents) : TestStore(time, incidents)
    {
        private InMemoryIncidentStore _store = new(time);

        public override IIncidentStore Store => _store;

        public override Task ReopenAsync()
        {
            _store = new InMemoryIncidentStore(Time, _store.State);
            return Task.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>
/// Tests of a stage on a store: each class deriving from this runs once per engine, through a concrete class per engine
/// (<c>...InMemory</c> in Bot.Core.Tests; <c>...OnSqlite</c> and <c>...OnPostgres</c> in Bot.Storage.Tests).
/// </summary>
public abstract class StoreContract(StoreEngine engine)
{
    protected StoreEngine Engine { get; } = engine;

    protected TestStore NewStore(IncidentOptions? incidents = null) => Engine.Create(incidents);
}
