using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.Core.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Core.Store;

public static class StoreServices
{
    /// <summary>
    /// Registers the store, and the store as each stage takes it: the narrow unit of work it declares, the reads, the
    /// outbox's signals.
    /// </summary>
    public static IServiceCollection AddIncidentStore(this IServiceCollection services, Func<IServiceProvider, IIncidentStore> open)
    {
        services.AddSingleton(open);
        static IIncidentStore Store(IServiceProvider sp) => sp.GetRequiredService<IIncidentStore>();
        return services
            .AddSingleton<IIncidentReads>(Store)
            .AddSingleton<IEscalationReads>(Store)
            .AddSingleton<Reports.IReportReads>(Store)
            .AddSingleton<IHostKeyReads>(Store)
            .AddSingleton<IUnitOfWork<IHostKeySession>>(Store)
            .AddSingleton<IOutboxSignals>(Store)
            .AddSingleton<IUnitOfWork<IStoreSession>>(Store)
            .AddSingleton<IUnitOfWork<IOutboxSession>>(Store)
            .AddSingleton<IUnitOfWork<IOutbox>>(Store)
            .AddSingleton<IUnitOfWork<IIncidentSession>>(Store)
            .AddSingleton<IUnitOfWork<IChatSession>>(Store)
            .AddSingleton<IUnitOfWork<IEscalationSession>>(Store)
            .AddSingleton<IUnitOfWork<ITaskSession>>(Store)
            .AddSingleton<IUnitOfWork<IIntakeSession>>(Store)
            .AddSingleton<IUnitOfWork<ICommandSession>>(Store)
            .AddSingleton<IUnitOfWork<Heartbeats.IHeartbeatSession>>(Store);
    }
}
