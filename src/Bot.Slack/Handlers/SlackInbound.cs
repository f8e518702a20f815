using System.Text.Json;
using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>
/// What Slack sends us, however it arrives (HTTP endpoints or Socket Mode): slash commands are answered, interactions
/// are handed to their handlers in the background, and events become durable jobs, so the sender is acknowledged at once.
/// </summary>
public sealed class SlackInbound(
    ISlashCommandHandler commands, IBlockActionHandler buttons, IEnumerable<IViewSubmissionHandler> views, IUnitOfWork<IOutbox> store, ISlackResponder responder,
    IEnumerable<IEventHandler<AppHomeOpened>> homes, TimeProvider time, ILogger<SlackInbound> log)
{
    /// <summary>How long a slash command may run before it is acknowledged without its answer (Slack allows 3 seconds).</summary>
    public static readonly TimeSpan AckBudget = TimeSpan.FromMilliseconds(2500);

    /// <summary>
    /// Runs a slash command within Slack's time: its answer when it finishes within <see cref="AckBudget"/>; else a
    /// "working on it" answer at the budget, and the real one later through the command's <c>response_url</c>, so a slow
    /// command never loses its answer (over HTTP or Socket Mode alike).
    /// </summary>
    public async Task<SlashCommandResponse> CommandInTimeAsync(SlashCommand command, CancellationToken cancellationToken = default)
    {
        var work = RunCommandAsync(command);
        if (await Task.WhenAny(work, Task.Delay(AckBudget, time, cancellationToken)) == work)
        {
            return await work;
        }

        _ = AnswerLaterAsync(work, command.ResponseUrl);
        var typed = Core.Commands.CommandParser.ReadableMentions(SlackText.FromSlack(command.Text ?? ""), _ => null);
        return new SlashCommandResponse { Text = $"Working on {SlackText.Escape(command.Command)} {SlackText.Escape(typed!)}..." };
    }

    /// <summary>The command's answer; a command that failed answers so, and is logged, instead of throwing.</summary>
    private async Task<SlashCommandResponse> RunCommandAsync(SlashCommand command)
    {
        try
        {
            await Task.Yield();
            return await commands.Handle(command);
        }
        catch (Exception e)
        {
            log.LogError(e, "A slash command failed");
            return new SlashCommandResponse { Text = "Sorry: that command failed; nothing was changed. Try again." };
        }
    }

    private async Task AnswerLaterAsync(Task<SlashCommandResponse> work, string? responseUrl)
    {
        var response = await work;
        if (responseUrl is null)
        {
            log.LogWarning("A slow slash command had no response_url: its answer was not delivered");
            return;
        }

        try
        {
            await responder.RespondAsync(responseUrl, response.Text, response.ResponseType == "in_channel");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            log.LogWarning("The answer of a slow slash command could not be delivered through response_url: {Reason}", e.Message);
        }
    }

    /// <summary>
    /// A modal's submission, answered in place (Slack waits for it): null closes the modal, else the JSON to send back
    /// (<c>response_action: errors</c>). Null too for any other interaction.
    /// </summary>
    public async Task<string?> ViewSubmissionAsync(JsonElement root)
    {
        if (Text(root, "type") != "view_submission" || !root.TryGetProperty("view", out var view)
            || views.FirstOrDefault(h => h.CallbackId == Text(view, "callback_id")) is not { } handler)
        {
            return null; // not ours: the modal closes
        }

        var answer = await handler.Handle(new ViewSubmission
        {
            UserId = Text(root, "user", "id") ?? "",
            UserName = Text(root, "user", "name") ?? Text(root, "user", "username") ?? "",
            CallbackId = Text(view, "callback_id") ?? "",
            PrivateMetadata = Text(view, "private_metadata") ?? "",
            View = view,
        });
        if (answer is null)
        {
            return null;
        }

        var errors = answer.Errors.ToDictionary(e => e.Key, e => e.Value.Length > 150 ? e.Value[..147] + "..." : e.Value);
        return JsonSerializer.Serialize(new Endpoints.ViewErrorsAnswer("errors", errors), Endpoints.SlackJsonContext.Default.ViewErrorsAnswer);
    }

    /// <summary>Starts the handlers of an interaction payload (block_actions); other types are ignored for now.</summary>
    public void Interaction(JsonElement root)
    {
        if (Text(root, "type") != "block_actions")
        {
            return;
        }

        var request = new BlockActionRequest
        {
            UserId = Text(root, "user", "id") ?? "",
            UserName = Text(root, "user", "name") ?? Text(root, "user", "username") ?? "",
            ChannelId = Text(root, "channel", "id") ?? "",
            ResponseUrl = Text(root, "response_url"),
            TriggerId = Text(root, "trigger_id"),
        };
        if (root.TryGetProperty("actions", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in list.EnumerateArray())
            {
                var action = new ButtonAction { ActionId = Text(a, "action_id") ?? "", Value = Text(a, "value") ?? "" };
                _ = InBackgroundAsync(() => buttons.Handle(action, request), $"button {action.ActionId}");
            }
        }
    }

    /// <summary>
    /// An Events API callback: returns the challenge of a url_verification; an event we handle becomes a durable outbox
    /// job keyed by its <c>event_id</c> (<see cref="SlackEventJob"/>), so that Slack's retries of one event, to this
    /// replica or another, are handled once, and a restart loses none. Completes once the job is stored.
    /// </summary>
    public async Task<string?> EventAsync(JsonElement root, CancellationToken cancellationToken = default)
    {
        if (Text(root, "type") == "url_verification")
        {
            return Text(root, "challenge") ?? "";
        }

        if (Text(root, "type") != "event_callback")
        {
            return null;
        }

        var id = Text(root, "event_id") is { Length: > 0 } eventId ? eventId : throw new SlackPayloadException("event_id is required on an event_callback.");
        if (Text(root, "event", "type") == "app_home_opened" && Text(root, "event", "tab") == "home" && Text(root, "event", "user") is { Length: > 0 } user)
        {
            foreach (var home in homes) // a view, not an effect: published at once, not kept as a job (AppHomeHandler)
            {
                _ = InBackgroundAsync(() => home.Handle(new AppHomeOpened { User = user }), "the Home tab");
            }

            return null;
        }

        if (Text(root, "event", "type") == "reaction_added")
        {
            var e = root.GetProperty("event");
            var ts = Text(e, "item", "ts") ?? "";
            if (!SlackTimestamp.TryParse(ts, out _))
            {
                throw new SlackPayloadException($"event.item.ts is '{ts}'; a Slack message timestamp looks like 1700000000.000100.");
            }

            var reaction = new ReactionAdded
            {
                EventId = id,
                User = Text(e, "user") ?? "",
                Reaction = Text(e, "reaction") ?? "",
                ItemUser = Text(e, "item_user") ?? "",
                Channel = Text(e, "item", "channel") ?? "",
                MessageTs = ts,
            };
            if (reaction.Reaction == PinnedMessageHandler.Reaction)
            {
                await store.WriteAsync(s => s.Enqueue(new SlackEventJob(reaction)), cancellationToken);
            }
        }

        return null;
    }

    public static string? Text(JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    private async Task InBackgroundAsync(Func<Task> work, string what)
    {
        try
        {
            await Task.Yield();
            await work();
        }
        catch (Exception e)
        {
            log.LogError(e, "Handling Slack {What} failed", what);
        }
    }
}
