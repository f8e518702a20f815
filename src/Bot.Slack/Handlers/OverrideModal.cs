using System.Text.Json;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Escalation;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Handlers;

/// <summary>
/// The form that <c>/incident oncall override</c> with nothing after it opens in Slack: which of your teams, who takes
/// the shift (you at first), and for how long from now. Its submission is the typed command
/// (<c>oncall override @who &lt;for&gt; &lt;team&gt;</c>) through the same command service, as the person submitting.
/// </summary>
public static class OverrideModal
{
    public const string CallbackId = "oncall_override";

    /// <summary>The modal's view for <paramref name="caller"/>, offering <paramref name="teams"/> (theirs); <paramref name="originChannel"/> comes back with the submission.</summary>
    public static string Build(IReadOnlyList<string> teams, string caller, string originChannel) =>
        SlackViews.Modal(CallbackId, originChannel, "Take an on-call shift", "Take it", w =>
        {
            SlackViews.Input(w, "team", "Team", optional: false, () => SlackViews.StaticSelect(w, [.. teams.Select(t => (t, t))], initial: teams.Count == 1 ? teams[0] : null));
            SlackViews.Input(w, "who", "Who is on call", optional: false, () =>
            {
                w.WriteString("type", "users_select");
                w.WriteString("action_id", "value");
                w.WriteString("initial_user", caller);
            });
            SlackViews.Input(w, "for", "From now for", optional: false, () => SlackViews.StaticSelect(w, OnCall.ShiftLengths, initial: OnCall.ShiftOffered));
        });

    /// <summary>The typed command a submitted view stands for, or the block to show an error on and the error.</summary>
    public static (string? Command, string? Block, string? Error) Read(JsonElement view)
    {
        if (SlackViews.Values(view) is not { } values)
        {
            return (null, "team", "The form came back empty: try again.");
        }

        var (team, who, length) = (SlackViews.Selected(values, "team"), SlackViews.SelectedUser(values, "who"), SlackViews.Selected(values, "for"));
        return team is null ? (null, "team", "Choose the team.")
            : who is null ? (null, "who", "Choose who is on call.")
            : !OnCall.IsShiftLength(length) ? (null, "for", "Choose how long.")
            : ($"oncall override {ChatMarkup.User(who)} {length} {team}", null, null);
    }
}

/// <summary>
/// <c>/incident oncall override</c> with nothing after it opens <see cref="OverrideModal"/> for a member of a team; its
/// submission takes the shift with the typed command's rules. A refusal is shown in the form; the answer is sent to the
/// person where they typed the command.
/// </summary>
public sealed class OverrideModalHandler(
    IncidentCommands commands, SlackCallers callers, ISlackApiClient api, IOptions<EscalationOptions> escalation,
    ILogger<OverrideModalHandler> log) : IViewSubmissionHandler
{
    public string CallbackId => OverrideModal.CallbackId;

    /// <summary>Opens the form for a bare <c>oncall override</c> by a member of a team; false otherwise (the command is then run as typed, and says what is missing).</summary>
    public async Task<bool> TryOpenAsync(SlashCommand command)
    {
        var words = CommandParser.Tokenize(command.Text);
        var teams = escalation.Value.Teams.Where(t => t.Value.Members.Any(m => m.Id == command.UserId)).Select(t => t.Key).Order(StringComparer.Ordinal).Take(100).ToList();
        if (words is not [var first, var second] || !first.Equals("oncall", StringComparison.OrdinalIgnoreCase) || !second.Equals("override", StringComparison.OrdinalIgnoreCase)
            || teams.Count == 0 || string.IsNullOrEmpty(command.TriggerId))
        {
            return false;
        }

        try
        {
            await api.Views.Open(command.TriggerId, OverrideModal.Build(teams, command.UserId, command.ChannelId));
            return true;
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("Could not open the override form: {Reason}", e.Message);
            return false;
        }
    }

    public async Task<ViewSubmissionResponse?> Handle(ViewSubmission submission)
    {
        var (typed, block, error) = OverrideModal.Read(submission.View);
        if (typed is null)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { [block!] = error! });
        }

        var reply = await commands.ExecuteAsync(typed, await callers.ContextAsync(submission.UserId, submission.UserName));
        if (!reply.Ok)
        {
            return new ViewSubmissionResponse(new Dictionary<string, string> { ["team"] = ChatMarkup.Plain(reply.Text, escalation.Value.NameOf) });
        }

        await SlackViews.AnswerAsync(api, log, submission, reply.Text);
        return null;
    }
}
