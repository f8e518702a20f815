using System.Text.Json;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>
/// The form the Home tab's "Change how I am paged" opens: the person's rules as they are, and a field for every
/// incident's and one for SEV1 and SEV2's, each in <c>/incident notify</c>'s words (<c>chat, sms 2m, email 5m</c>); a
/// field left empty keeps its rules. Its submission is that command, as the person.
/// </summary>
public static class RulesModal
{
    public const string CallbackId = "notify_rules";

    /// <summary>The form, showing <paramref name="current"/> (the command's description of the rules).</summary>
    public static string Build(string current) =>
        SlackViews.Modal(CallbackId, "", "How you are paged", "Save", w =>
        {
            SlackViews.Section(w, SlackText.Mrkdwn(current));
            Field(w, RulesForm.Everyday, "Every incident");
            Field(w, RulesForm.Important, "SEV1 and SEV2");
        });

    /// <summary>
    /// The commands a submitted form stands for (<c>notify ...</c>, then <c>notify important ...</c>), each with the block
    /// it came from; none when both fields were left empty.
    /// </summary>
    public static IReadOnlyList<(string Block, string Command)> Read(JsonElement view)
    {
        return SlackViews.Values(view) is { } values
            ? RulesForm.Commands(SlackViews.Value(values, RulesForm.Everyday), SlackViews.Value(values, RulesForm.Important))
            : [];
    }

    private static void Field(Utf8JsonWriter w, string block, string label) =>
        SlackViews.Input(w, block, label, optional: true, () =>
        {
            w.WriteString("type", "plain_text_input");
            w.WriteString("action_id", "value");
            w.WriteNumber("max_length", 200);
            SlackViews.PlainText(w, "placeholder", "chat, sms 2m, email 5m (empty: as they are)");
        });
}

/// <summary>Saves what <see cref="RulesModal"/> asks, as the person submitting it, and shows their Home tab with the new rules.</summary>
public sealed class RulesModalHandler(IncidentCommands commands, SlackCallers callers, AppHomeHandler home) : IViewSubmissionHandler
{
    public string CallbackId => RulesModal.CallbackId;

    public async Task<ViewSubmissionResponse?> Handle(ViewSubmission submission)
    {
        var asked = RulesModal.Read(submission.View);
        if (asked.Count == 0)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { [RulesForm.Everyday] = "Give the rules to change, or cancel." });
        }

        var (reply, field) = await RulesForm.SaveAsync(commands, asked, await callers.ContextAsync(submission.UserId, submission.UserName));
        if (!reply.Ok)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { [field] = ChatMarkup.Plain(reply.Text) });
        }

        await home.OpenedAsync(submission.UserId);
        return null;
    }
}
