using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Postmortems;
using Bot.Core.Store;
using Bot.Core.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Bot.TestKit;

/// <summary>
/// The bot's stages on a test store, wired as the host wires them (every job kind registered by its stage), with the
/// test's chat and the other ports mocked unless the test gives its own.
/// </summary>
public sealed class TestPipeline
{
    private readonly ServiceProvider _services;
    private readonly TestStore _store;

    public TestPipeline(
        TestStore t, IChat chat, IncidentOptions? incidents = null, EscalationOptions? escalation = null, IIssueTracker? tracker = null,
        IPostmortemPublisher? publisher = null, OutboxOptions? outbox = null, PostmortemOptions? postmortems = null, Core.Heartbeats.HeartbeatSettings? heartbeats = null,
        IEnumerable<INotifier>? notifiers = null, IWebhookSender? webhooks = null)
    {
        _store = t;
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(t.Time)
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddIncidentStore(_ => t.Store)
            .AddSingleton(chat)
            .AddSingleton(tracker ?? new Mock<IIssueTracker>().Object)
            .AddSingleton(publisher ?? new Mock<IPostmortemPublisher>().Object)
            .AddSingleton(webhooks ?? new Mock<IWebhookSender>().Object)
            .AddSingleton(Options.Create(incidents ?? new IncidentOptions()))
            .AddSingleton(Options.Create(escalation ?? new EscalationOptions()))
            .AddSingleton(Options.Create(outbox ?? new OutboxOptions()))
            .AddSingleton(Options.Create(postmortems ?? new PostmortemOptions()))
            .AddSingleton(Options.Create(heartbeats ?? new Core.Heartbeats.HeartbeatSettings()))
            .AddSingleton<Escalator>()
            .AddSingleton<IncidentRules>()
            .AddSingleton<Core.Intake.AlertIntake>()
            .AddSingleton<OutboxDispatcher>()
            .AddChatJobs().AddEscalationJobs().AddPostmortemJobs().AddTaskJobs();
        Core.Heartbeats.HeartbeatJobs.AddHeartbeats(services);
        foreach (var notifier in notifiers ?? [])
        {
            services.AddSingleton(notifier);
        }

        _services = services.BuildServiceProvider();
    }

    public OutboxDispatcher Dispatcher => _services.GetRequiredService<OutboxDispatcher>();

    /// <summary>Moves the fake clock in <paramref name="tick"/> steps for <paramref name="span"/>, running every due job at each step.</summary>
    public async Task PassAsync(TimeSpan span, TimeSpan tick)
    {
        var end = _store.Time.GetUtcNow() + span;
        while (true)
        {
            while (await Dispatcher.RunOnceAsync(CancellationToken.None) > 0)
            {
            }

            if (_store.Time.GetUtcNow() >= end)
            {
                return;
            }

            _store.Time.Advance(tick);
        }
    }

    public Escalator Escalator => _services.GetRequiredService<Escalator>();

    public Core.Heartbeats.HeartbeatMonitor Heartbeats => _services.GetRequiredService<Core.Heartbeats.HeartbeatMonitor>();
}
