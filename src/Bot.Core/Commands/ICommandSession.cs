using Bot.Core.Intake;
using Bot.Core.Tasks;

namespace Bot.Core.Commands;

/// <summary>
/// What a command does in a unit of work: what the grouping stage does (a declared incident opens like an alert's, with
/// its escalation), and tasks.
/// </summary>
public interface ICommandSession : IIntakeSession, ITaskSession;
