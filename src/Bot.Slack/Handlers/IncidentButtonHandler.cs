using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Incidents;

namespace Bot.Slack.Handlers;

/// <summary>The summary's buttons do what the matching commands do, as the clicking user; so does the Home tab's test page button.</summary>
public sealed class IncidentButtonHandler(IncidentCommands commands, ISlackResponder responder, SlackCallers callers, AppHomeHandler home) : IBlockActionHandler
{
    public async Task Handle(ButtonAction action, BlockActionRequest request)
    {
        switch (action.ActionId)
        {
            case AppHome.TestPageAction:
                await home.TestPageAsync(request.UserId, request.UserName); // answered in the tab: a Home tab's button has no response_url
                return;
            case AppHome.RulesAction:
                await home.OpenRulesAsync(request);
                return;
        }

        var incident = Incident.ParseKey(action.Value);
        var text = action.ActionId switch
        {
            IncidentMessages.AcknowledgeAction => "ack",
            IncidentMessages.ResolveAction => "resolve",
            IncidentMessages.EscalateAction => "escalate",
            _ => null,
        };
        string answer;
        if (incident is null)
        {
            answer = $"This button names no incident ('{action.Value}').";
        }
        else if (text is null)
        {
            answer = $"Unknown button '{action.ActionId}'.";
        }
        else
        {
            answer = (await commands.ExecuteAsync(text, await callers.ContextAsync(request.UserId, request.UserName, incident))).Text;
        }

        if (request.ResponseUrl is { } url)
        {
            await responder.RespondAsync(url, SlackText.Mrkdwn(answer), inChannel: false);
        }
    }
}
