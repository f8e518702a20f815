using Bot.Core.Escalation;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Workers;

/// <summary>At start, asks for each team's on-call sync and next hand-off (idempotent: replicas ask for the same jobs).</summary>
internal sealed class HandoffScheduler(IOptions<EscalationOptions> options, IUnitOfWork<IEscalationSession> store, ILogger<HandoffScheduler> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, team) in options.Value.Teams.Where(t => t.Value.Rotation is not null || t.Value.OnCallUserGroup is not null))
        {
            try
            {
                await store.WriteAsync(s => Handoffs.Schedule(s, name, team), cancellationToken);
            }
            catch (StoreUnavailableException e)
            {
                log.LogError(e, "Could not schedule the hand-offs of team {Team}; they start at the next start", name);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
