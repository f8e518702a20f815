using System.Text;
using System.Text.Json;
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
    public static string Build(string pages, string onCall, string? answer)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "home");
            w.WriteStartArray("blocks");
            Header(w, "Your pages");
            Section(w, SlackText.Mrkdwn(pages));
            Context(w, "Or with `/incident notify`, e.g. `/incident notify chat, sms 2m, email 5m`.");
            w.WriteStartObject();
            w.WriteString("type", "actions");
            w.WriteStartArray("elements");
            Button(w, RulesAction, "Change how I am paged");
            Button(w, TestPageAction, "Send me a test page");
            w.WriteEndArray();
            w.WriteEndObject();
            if (answer is not null)
            {
                Context(w, SlackText.Mrkdwn(answer));
            }

            Header(w, "On call");
            Section(w, SlackText.Mrkdwn(onCall));
            Context(w, "Take a shift with `/incident oncall override` (a form), or `/incident oncall override @you 4h <team>`.");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Button(Utf8JsonWriter w, string action, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "button");
        w.WriteString("action_id", action);
        SlackViews.PlainText(w, "text", text);
        w.WriteString("value", action);
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "header");
        SlackViews.PlainText(w, "text", text);
        w.WriteEndObject();
    }

    private static void Section(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        Mrkdwn(w, "text", mrkdwn);
        w.WriteEndObject();
    }

    private static void Context(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "context");
        w.WriteStartArray("elements");
        w.WriteStartObject();
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", Cut(mrkdwn));
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Mrkdwn(Utf8JsonWriter w, string name, string text)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", Cut(text));
        w.WriteEndObject();
    }

    /// <summary>Block Kit's limit on a text object: 3,000 characters (a context's element: 2,000).</summary>
    private static string Cut(string text) => text.Length <= 2000 ? text : text[..1997] + "...";
}

/// <summary>
/// Publishes a person's Home tab when they open it (the Events API's <c>app_home_opened</c>), and again with the answer
/// when they press its test page button. A view of what the store holds, not an incident's effect: one lost (Slack
/// down) is shown again the next time they open the tab, so it is published at once, not through the outbox.
/// </summary>
public sealed class AppHomeHandler(IncidentCommands commands, SlackCallers callers, ISlackApiClient api, ILogger<AppHomeHandler> log)
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
    public Task OpenedAsync(string userId) => PublishAsync(userId, null, null);

    /// <summary>The test page button pressed: the test page sent as the command sends it, and the tab published again with its answer.</summary>
    public async Task TestPageAsync(string userId, string userName)
    {
        var context = await callers.ContextAsync(userId, userName);
        var answer = (await commands.ExecuteAsync("notify test", context)).Text;
        await PublishAsync(userId, userName, answer);
    }

    private async Task PublishAsync(string userId, string? userName, string? answer)
    {
        var context = await callers.ContextAsync(userId, userName);
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
