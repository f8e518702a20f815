using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Store;

/// <summary>
/// What a store adapter implements (Bot.Storage: SQLite, PostgreSQL): every stage's session, the reads, and the outbox.
/// The stages never see it: each takes the narrow interface it declares (<see cref="Chat.IChatSession"/>,
/// <see cref="Escalation.IEscalationSession"/>, <see cref="IOutboxSession"/>...), which the store's session is.
/// </summary>
public interface IIncidentStore : IUnitOfWork<IStoreSession>, IIncidentReads, Escalation.IEscalationReads, Reports.IReportReads, IHostKeyReads, IOutboxSignals;

/// <summary>A unit of work on the store: everything any stage may do in one.</summary>
public interface IStoreSession : ICommandSession, IOutboxSession, Heartbeats.IHeartbeatSession, IHostKeySession;
