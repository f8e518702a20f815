using System.Text;
using System.Text.Json;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>The pieces of Block Kit the bot's modals are written with (<c>views.open</c>), and how their submissions read.</summary>
internal static class SlackViews
{
    /// <summary>A modal: its callback id, what comes back with the submission, its title and submit button, and its blocks.</summary>
    public static string Modal(string callbackId, string privateMetadata, string title, string submit, Action<Utf8JsonWriter> blocks) =>
        View("modal", blocks, w =>
        {
            w.WriteString("callback_id", callbackId);
            w.WriteString("private_metadata", privateMetadata);
            PlainText(w, "title", title);
            PlainText(w, "submit", submit);
            PlainText(w, "close", "Cancel");
        });

    /// <summary>A view of <paramref name="type"/> (<c>modal</c>, <c>home</c>): what <paramref name="head"/> writes, then its blocks.</summary>
    public static string View(string type, Action<Utf8JsonWriter> blocks, Action<Utf8JsonWriter>? head = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            head?.Invoke(w);
            w.WriteStartArray("blocks");
            blocks(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Header(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "header");
        PlainText(w, "text", text);
        w.WriteEndObject();
    }

    /// <summary>A section of Slack text (already <see cref="SlackText.Mrkdwn"/>).</summary>
    public static void Section(Utf8JsonWriter w, string mrkdwn)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WriteStartObject("text");
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", Cut(mrkdwn));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A line of small Slack text (already <see cref="SlackText.Mrkdwn"/>).</summary>
    public static void Context(Utf8JsonWriter w, string mrkdwn)
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

    /// <summary>A row of buttons, each its action id and label (the action id is its value too).</summary>
    public static void Buttons(Utf8JsonWriter w, params (string Action, string Label)[] buttons)
    {
        w.WriteStartObject();
        w.WriteString("type", "actions");
        w.WriteStartArray("elements");
        foreach (var (action, label) in buttons)
        {
            w.WriteStartObject();
            w.WriteString("type", "button");
            w.WriteString("action_id", action);
            PlainText(w, "text", label);
            w.WriteString("value", action);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>An input block whose element <paramref name="element"/> writes (its action id is always <c>value</c>).</summary>
    public static void Input(Utf8JsonWriter w, string block, string label, bool optional, Action element)
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

    /// <summary>A static select's options, <paramref name="initial"/> chosen at first (none when null).</summary>
    public static void StaticSelect(Utf8JsonWriter w, IReadOnlyList<(string Label, string Value)> options, string? initial, string? placeholder = null)
    {
        w.WriteString("type", "static_select");
        w.WriteString("action_id", "value");
        if (placeholder is not null)
        {
            PlainText(w, "placeholder", placeholder);
        }

        if (options.FirstOrDefault(o => o.Value == initial) is { Value: not null } chosen)
        {
            w.WritePropertyName("initial_option");
            Option(w, chosen.Label, chosen.Value);
        }

        w.WriteStartArray("options");
        foreach (var (label, value) in options)
        {
            Option(w, label, value);
        }

        w.WriteEndArray();
    }

    public static void PlainText(Utf8JsonWriter w, string name, string text)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "plain_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    /// <summary>The submitted state's values (<c>view.state.values</c>), or none when the view came back without them.</summary>
    public static JsonElement? Values(JsonElement view) =>
        view.ValueKind == JsonValueKind.Object && view.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object
        && state.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Object
            ? values
            : null;

    /// <summary>A text input's value.</summary>
    public static string? Value(JsonElement values, string block) => SlackInbound.Text(values, block, "value", "value");

    /// <summary>A static select's chosen value.</summary>
    public static string? Selected(JsonElement values, string block) => SlackInbound.Text(values, block, "value", "selected_option", "value");

    /// <summary>A users select's chosen person.</summary>
    public static string? SelectedUser(JsonElement values, string block) => SlackInbound.Text(values, block, "value", "selected_user");

    /// <summary>
    /// The command's answer to a form's submission, to the person alone in the channel where they opened the form (its
    /// private metadata); one that cannot be sent is logged: what the form asked for is done.
    /// </summary>
    public static async Task AnswerAsync(ISlackApiClient api, ILogger log, ViewSubmission submission, string answer)
    {
        if (string.IsNullOrEmpty(submission.PrivateMetadata))
        {
            return;
        }

        try
        {
            await api.Chat.PostEphemeral(submission.UserId, new Message { Channel = submission.PrivateMetadata, Text = SlackText.Mrkdwn(answer) });
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            log.LogInformation("Could not send {User} the answer to their form ({Form}): {Reason}", submission.UserId, submission.CallbackId, e.Message);
        }
    }

    /// <summary>Block Kit's limit on a text object: 3,000 characters (a context's element: 2,000).</summary>
    private static string Cut(string text) => text.Length <= 2000 ? text : text[..1997] + "...";

    private static void Option(Utf8JsonWriter w, string label, string value)
    {
        w.WriteStartObject();
        PlainText(w, "text", label);
        w.WriteString("value", value);
        w.WriteEndObject();
    }
}
