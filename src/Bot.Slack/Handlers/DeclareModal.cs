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
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "modal");
            w.WriteString("callback_id", CallbackId);
            w.WriteString("private_metadata", originChannel);
            PlainText(w, "title", "Declare an incident");
            PlainText(w, "submit", "Declare");
            PlainText(w, "close", "Cancel");
            w.WriteStartArray("blocks");

            Input(w, "title", "What is happening?", optional: false, () =>
            {
                w.WriteString("type", "plain_text_input");
                w.WriteString("action_id", "value");
                w.WriteNumber("max_length", MaxTitle);
                PlainText(w, "placeholder", "Checkout errors above 5%");
            });

            Input(w, "severity", "Severity", optional: false, () =>
            {
                w.WriteString("type", "static_select");
                w.WriteString("action_id", "value");
                var severities = new[]
                {
                    (Severity.Sev1, "SEV1: critical, customers down"), (Severity.Sev2, "SEV2: major, many affected"),
                    (Severity.Sev3, "SEV3: minor, some affected"), (Severity.Sev4, "SEV4: low, no customer impact"),
                };
                w.WritePropertyName("initial_option");
                Option(w, severities[2].Item2, severities[2].Item1.Display());
                w.WriteStartArray("options");
                foreach (var (severity, label) in severities)
                {
                    Option(w, label, severity.Display());
                }

                w.WriteEndArray();
            });

            if (teamList.Count > 0)
            {
                Input(w, "team", "Page a team", optional: true, () =>
                {
                    w.WriteString("type", "static_select");
                    w.WriteString("action_id", "value");
                    PlainText(w, "placeholder", "Nobody yet");
                    w.WriteStartArray("options");
                    foreach (var team in teamList)
                    {
                        Option(w, team, team);
                    }

                    w.WriteEndArray();
                });
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The declare command a submitted view asks for, or the error to show on its title.</summary>
    public static (IncidentCommand? Command, string? Error) Read(JsonElement view)
    {
        if (view.ValueKind != JsonValueKind.Object || !view.TryGetProperty("state", out var state) || state.ValueKind != JsonValueKind.Object
            || !state.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return (null, "The form came back empty: try again.");
        }

        var title = Value(values, "title")?.Trim();
        if (string.IsNullOrEmpty(title))
        {
            return (null, "Say what is happening.");
        }

        if (title.Length > MaxTitle)
        {
            return (null, $"At most {MaxTitle} characters.");
        }

        var severity = SeverityText.Parse(Selected(values, "severity") ?? "") ?? Severity.Sev3;
        return (new IncidentCommand("declare") { Text = title, Severity = severity, Team = Selected(values, "team") }, null);
    }

    private static string? Value(JsonElement values, string block) => SlackInbound.Text(values, block, "value", "value");

    private static string? Selected(JsonElement values, string block) => SlackInbound.Text(values, block, "value", "selected_option", "value");

    private static void Input(Utf8JsonWriter w, string block, string label, bool optional, Action element)
    {
        w.WriteStartObject();
        w.WriteString("type", "input");
        w.WriteString("block_id", block);
        w.WriteBoolean("optional", optional);
        PlainText(w, "label", label);
        w.WriteStartObject("element");
        element();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Option(Utf8JsonWriter w, string label, string value)
    {
        w.WriteStartObject();
        PlainText(w, "text", label);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void PlainText(Utf8JsonWriter w, string name, string text)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "plain_text");
        w.WriteString("text", text);
        w.WriteEndObject();
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
    Task<ViewSubmissionResponse?> Handle(ViewSubmission submission);
}

/// <summary>
/// <c>/incident declare</c> with nothing after it opens <see cref="DeclareModal"/>; its submission declares the incident
/// as the submitting user, with the same rules as typing it (responders only, when set). A refusal is shown in the form.
/// </summary>
public sealed class DeclareModalHandler(
    IncidentCommands commands, ResponderGroups groups, SlackPeople people, ISlackApiClient api, IOptions<EscalationOptions> escalation,
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

    public async Task<ViewSubmissionResponse?> Handle(ViewSubmission submission)
    {
        if (submission.CallbackId != DeclareModal.CallbackId)
        {
            return null;
        }

        var (command, error) = DeclareModal.Read(submission.View);
        if (command is null)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { ["title"] = error! });
        }

        var user = await people.ActorAsync(submission.UserId, submission.UserName);
        var reply = await commands.ExecuteAsync(command, new CommandContext(user, null, await groups.GroupsOfAsync(submission.UserId)));
        if (!reply.Ok)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { ["title"] = Bot.Core.Chat.ChatMarkup.Plain(reply.Text) });
        }

        // Tell the declarer where the form was opened; the announcement says it to everyone anyway.
        if (!string.IsNullOrEmpty(submission.PrivateMetadata))
        {
            try
            {
                await api.Chat.PostEphemeral(submission.UserId, new Message { Channel = submission.PrivateMetadata, Text = SlackText.Mrkdwn(reply.Text) });
            }
            catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
            {
                log.LogInformation("Could not confirm the declaration to {User}: {Reason}", submission.UserId, e.Message);
            }
        }

        return null;
    }
}
