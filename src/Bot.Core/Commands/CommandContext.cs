using Bot.Core.Incidents;

namespace Bot.Core.Commands;

/// <summary>Who typed the command and where: the incident is the one whose channel it was typed in, if any.</summary>
public sealed record CommandContext(Actor User, long? IncidentNumber, IReadOnlyList<string>? UserGroups = null);

/// <summary>The answer to a command. <see cref="Public"/>: shown to the channel, not only to the caller.</summary>
public sealed record CommandReply(CommandOutcome Outcome, string Text, bool Public = false)
{
    public bool Ok => Outcome == CommandOutcome.Done;
}
