using System.Text;
using System.Text.Json;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Handlers;

/// <summary>
/// The form that <c>/incident declare</c> with nothing after it opens in Slack (<c>views.open</c>): what is happening,
/// how bad, and which team to page. Its submission declares the incident through the same command service as typing.
/// </summary>
public static class DeclareModal
{
    public const string CallbackId = "incident_declare";
    public const int MaxTitle = 150;

    /// <summary>The modal's view; <paramref name="originChannel"/> comes back with the submission.</summary>
    public static string Build(IEnumerable<string> teams, string originChannel)
    {
        var teamList = teams.Order(StringComparer.OrdinalIgnoreCase).Take(100).ToList();
        return SlackViews.Modal(CallbackId, originChannel, "Declare an incident", "Declare", w =>
        {
            SlackViews.Input(w, "title", "What is happening?", optional: false, () =>
            {
                w.WriteString("type", "plain_text_input");
                w.WriteString("action_id", "value");
                w.WriteNumber("max_length", MaxTitle);
                SlackViews.PlainText(w, "placeholder", "Checkout errors above 5%");
            });

            SlackViews.Input(w, "severity", "Severity", optional: false, () => SlackViews.StaticSelect(
                w,
                [
                    ("SEV1: critical, customers down", Severity.Sev1.Display()), ("SEV2: major, many affected", Severity.Sev2.Display()),
                    ("SEV3: minor, some affected", Severity.Sev3.Display()), ("SEV4: low, no customer impact", Severity.Sev4.Display()),
                ],
                initial: Severity.Sev3.Display()));

            if (teamList.Count > 0)
            {
                SlackViews.Input(w, "team", "Page a team", optional: true, () => SlackViews.StaticSelect(w, [.. teamList.Select(t => (t, t))], initial: null, placeholder: "Nobody yet"));
            }
        });
    }

    /// <summary>The declare command a submitted view asks for, or the error to show on its title.</summary>
    public static (IncidentCommand? Command, string? Error) Read(JsonElement view)
    {
        if (SlackViews.Values(view) is not { } values)
        {
            return (null, "The form came back empty: try again.");
        }

        var title = SlackViews.Value(values, "title")?.Trim();
        if (string.IsNullOrEmpty(title))
        {
            return (null, "Say what is happening.");
        }

        if (title.Length > MaxTitle)
        {
            return (null, $"At most {MaxTitle} characters.");
        }

        var severity = SeverityText.Parse(SlackViews.Selected(values, "severity") ?? "") ?? Severity.Sev3;
        return (new IncidentCommand("declare") { Text = title, Severity = severity, Team = SlackViews.Selected(values, "team") }, null);
    }
}

/// <summary>A submitted modal, shaped like SlackNet's <c>ViewSubmission</c> (the parts we read).</summary>
public sealed class ViewSubmission
{
    public string UserId { get; set; } = "";
    public string UserName { get; set; } = "";
    public string CallbackId { get; set; } = "";
    public string PrivateMetadata { get; set; } = "";
    public JsonElement View { get; set; }
}

/// <summary>The answer to a submission: null closes the modal; errors keep it open with messages by block.</summary>
public sealed record ViewSubmissionResponse(IReadOnlyDictionary<string, string> Errors);

/// <summary>Handles modal submissions (SlackNet's <c>IViewSubmissionHandler</c> shape).</summary>
public interface IViewSubmissionHandler
{
    /// <summary>The modal it handles the submissions of (SlackNet registers a handler by it).</summary>
    string CallbackId { get; }

    Task<ViewSubmissionResponse?> Handle(ViewSubmission submission);
}

/// <summary>
/// <c>/incident declare</c> with nothing after it opens <see cref="DeclareModal"/>; its submission declares the incident
/// as the submitting user, with the same rules as typing it (responders only, when set). A refusal is shown in the form.
/// </summary>
public sealed class DeclareModalHandler(
    IncidentCommands commands, SlackCallers callers, ISlackApiClient api, IOptions<EscalationOptions> escalation,
    ILogger<DeclareModalHandler> log) : IViewSubmissionHandler
{
    /// <summary>Opens the form for a bare <c>declare</c>; false when it is not one or Slack would not open it (then type it).</summary>
    public async Task<bool> TryOpenAsync(SlashCommand command)
    {
        if (!command.Text.Trim().Equals("declare", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(command.TriggerId))
        {
            return false;
        }

        try
        {
            await api.Views.Open(command.TriggerId, DeclareModal.Build(escalation.Value.Teams.Keys, command.ChannelId));
            return true;
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Could not open the declare form: {Reason}", e.Message);
            return false;
        }
    }

    public string CallbackId => DeclareModal.CallbackId;

    public async Task<ViewSubmissionResponse?> Handle(ViewSubmission submission)
    {
        var (command, error) = DeclareModal.Read(submission.View);
        if (command is null)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { ["title"] = error! });
        }

        var reply = await commands.ExecuteAsync(command, await callers.ContextAsync(submission.UserId, submission.UserName));
        if (!reply.Ok)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { ["title"] = Bot.Core.Chat.ChatMarkup.Plain(reply.Text) });
        }

        // Tell the declarer where the form was opened; the announcement says it to everyone anyway.
        await SlackViews.AnswerAsync(api, log, submission, reply.Text);
        return null;
    }
}
