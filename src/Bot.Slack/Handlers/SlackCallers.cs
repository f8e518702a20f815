using Bot.Core.Commands;

namespace Bot.Slack.Handlers;

/// <summary>Who runs a command from Slack: the person by their display name, and the user groups that make them a responder.</summary>
public sealed class SlackCallers(SlackPeople people, ResponderGroups groups)
{
    /// <summary>The command's context for <paramref name="userId"/> (in <paramref name="incident"/>'s channel, or none).</summary>
    public async Task<CommandContext> ContextAsync(string userId, string? userName, long? incident = null) =>
        new(await people.ActorAsync(userId, userName), incident, await groups.GroupsOfAsync(userId));
}
