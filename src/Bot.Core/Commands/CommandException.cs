namespace Bot.Core.Commands;

/// <summary>The command cannot be done as typed: the message says why, with the usage line when it helps.</summary>
public sealed class CommandException(string message, CommandOutcome outcome = CommandOutcome.Invalid) : Exception(message)
{
    public CommandOutcome Outcome { get; } = outcome;
}

/// <summary>How a command ended; adapters map it (HTTP status, Slack reply).</summary>
public enum CommandOutcome
{
    Done,
    Invalid,
    Forbidden,
    NotFound,
    Conflict,
}
