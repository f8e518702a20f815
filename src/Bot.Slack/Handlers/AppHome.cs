using Bot.Core.Commands;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>
/// The app's Home tab, a person's own page in Slack: how they are paged (their rules, as <c>/incident notify</c> says
/// them), who is on call for the teams (as <c>/incident oncall</c>), and a button that sends them a test page (as
/// <c>/incident notify test</c>), whose answer the tab then shows.
/// </summary>
public static class AppHome
{
    /// <summary>The test page button's action id.</summary>
    public const string TestPageAction = "home_test_page";

    /// <summary>The "Change how I am paged" button's action id: it opens <see cref="RulesModal"/>.</summary>
    public const string RulesAction = "home_rules";

    /// <summary>The tab's view: the commands' answers (<see cref="SlackText.Mrkdwn"/>), and the last button's answer when there is one.</summary>
    public static string Build(string pages, string onCall, string? answer) =>
        SlackViews.View("home", w =>
        {
            SlackViews.Header(w, "Your pages");
            SlackViews.Section(w, SlackText.Mrkdwn(pages));
            SlackViews.Context(w, "Or with `/incident notify`, e.g. `/incident notify chat, sms 2m, email 5m`.");
            SlackViews.Buttons(w, (RulesAction, "Change how I am paged"), (TestPageAction, "Send me a test page"));
            if (answer is not null)
            {
                SlackViews.Context(w, SlackText.Mrkdwn(answer));
            }

            SlackViews.Header(w, "On call");
            SlackViews.Section(w, SlackText.Mrkdwn(onCall));
            SlackViews.Context(w, "Take a shift with `/incident oncall override` (a form), or `/incident oncall override @you 4h <team>`.");
        });
}

/// <summary>
/// Publishes a person's Home tab when they open it (the Events API's <c>app_home_opened</c>), and again with the answer
/// when they press its test page button. A view of what the store holds, not an incident's effect: one lost (Slack
/// down) is shown again the next time they open the tab, so it is published at once, not through the outbox.
/// </summary>
public sealed class AppHomeHandler(IncidentCommands commands, SlackCallers callers, ISlackApiClient api, ILogger<AppHomeHandler> log) : IEventHandler<AppHomeOpened>
{
    /// <summary>"Change how I am paged": <see cref="RulesModal"/> opened, showing the rules as they are.</summary>
    public async Task OpenRulesAsync(BlockActionRequest request)
    {
        if (string.IsNullOrEmpty(request.TriggerId))
        {
            return;
        }

        var current = (await commands.ExecuteAsync("notify", await callers.ContextAsync(request.UserId, request.UserName))).Text;
        try
        {
            await api.Views.Open(request.TriggerId, RulesModal.Build(current));
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            log.LogInformation("Could not open {User}'s rules form: {Reason}", request.UserId, e.Message);
        }
    }

    /// <summary>The tab opened: its view published.</summary>
    public Task Handle(AppHomeOpened slackEvent) => OpenedAsync(slackEvent.User);

    /// <summary>The tab's view published for <paramref name="userId"/> (opened, or their rules just saved).</summary>
    public async Task OpenedAsync(string userId) => await PublishAsync(userId, await callers.ContextAsync(userId, null), null);

    /// <summary>The test page button pressed: the test page sent as the command sends it, and the tab published again with its answer.</summary>
    public async Task TestPageAsync(string userId, string userName)
    {
        var context = await callers.ContextAsync(userId, userName);
        var answer = (await commands.ExecuteAsync("notify test", context)).Text;
        await PublishAsync(userId, context, answer);
    }

    private async Task PublishAsync(string userId, CommandContext context, string? answer)
    {
        var pages = (await commands.ExecuteAsync("notify", context)).Text;
        var onCall = (await commands.ExecuteAsync("oncall", context)).Text;
        try
        {
            await api.Views.Publish(userId, AppHome.Build(pages, onCall, answer));
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            log.LogInformation("Could not publish {User}'s Home tab: {Reason}", userId, e.Message);
        }
    }
}
