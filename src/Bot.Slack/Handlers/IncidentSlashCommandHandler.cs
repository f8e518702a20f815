using Bot.Core.Commands;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Slack.Handlers;

/// <summary>
/// <c>/incident ...</c> typed in Slack: the channel decides the incident, the Slack user is the author. Answers go to
/// the channel for actions everyone should see, and to the caller only for errors, help and the timeline.
/// </summary>
public sealed class IncidentSlashCommandHandler(
    IncidentCommands commands, IIncidentReads store, SlackCallers callers, DeclareModalHandler declareForm, OverrideModalHandler overrideForm)
    : ISlashCommandHandler
{
    public async Task<SlashCommandResponse> Handle(SlashCommand command)
    {
        if (await declareForm.TryOpenAsync(command))
        {
            return new SlashCommandResponse { Text = "Fill in the form to declare an incident." };
        }

        if (await overrideForm.TryOpenAsync(command))
        {
            return new SlashCommandResponse { Text = "Fill in the form to take an on-call shift." };
        }

        var incident = string.IsNullOrEmpty(command.ChannelId) ? null : await store.FindIncidentByChannelAsync(command.ChannelId);
        var reply = await commands.ExecuteAsync(SlackText.FromSlack(command.Text ?? ""), await callers.ContextAsync(command.UserId, command.UserName, incident?.Number));
        return new SlashCommandResponse { Text = SlackText.Mrkdwn(reply.Text), ResponseType = reply.Ok && reply.Public ? "in_channel" : "ephemeral" };
    }
}
