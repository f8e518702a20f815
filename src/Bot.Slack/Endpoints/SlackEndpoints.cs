using System.Text;
using System.Text.Json;
using Bot.Slack.Handlers;
using Bot.Slack.Signing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Endpoints;

/// <summary>
/// <c>/slack/commands</c>, <c>/slack/interactions</c> and <c>/slack/events</c>. Each request's v0 signature is
/// checked first (401 and nothing done otherwise). Slack wants an answer within 3 seconds: commands answer in place
/// when they finish within <see cref="AckBudget"/>, else at once with "working on it" and later via response_url;
/// interactions and events are acknowledged at once and handled in the background.
/// </summary>
public static class SlackEndpoints
{
    public static readonly TimeSpan AckBudget = TimeSpan.FromMilliseconds(2500);
    private const long MaxBody = 1024 * 1024;

    public static IEndpointRouteBuilder MapSlack(this IEndpointRouteBuilder app)
    {
        app.MapPost("/slack/commands", CommandsAsync);
        app.MapPost("/slack/interactions", InteractionsAsync);
        app.MapPost("/slack/events", EventsAsync);
        return app;
    }

    private static async Task<IResult> CommandsAsync(HttpContext http, ISlashCommandHandler handler, ISlackResponder responder, ILoggerFactory logs)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body!)).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
        var command = SlashCommand.FromForm(form);
        var work = handler.Handle(command);
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        if (await Task.WhenAny(work, Task.Delay(AckBudget, time)) == work)
        {
            var response = await work;
            return Results.Json(new SlashCommandAnswer(response.ResponseType, response.Text), SlackJsonContext.Default.SlashCommandAnswer);
        }

        _ = AnswerLaterAsync(work, command.ResponseUrl, responder, logs.CreateLogger("Bot.Slack.Commands"));
        return Results.Json(new SlashCommandAnswer("ephemeral", $"Working on {command.Command} {command.Text}..."), SlackJsonContext.Default.SlashCommandAnswer);
    }

    private static async Task<IResult> InteractionsAsync(HttpContext http, IBlockActionHandler handler, ILoggerFactory logs)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var payload = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body!)).GetValueOrDefault("payload").ToString();
        if (string.IsNullOrEmpty(payload))
        {
            return Results.Problem(statusCode: 400, title: "Bad interaction", detail: "The form field 'payload' is missing.");
        }

        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        if (Text(root, "type") != "block_actions")
        {
            return Results.Ok(); // other interactions (views) come with later features
        }

        var request = new BlockActionRequest
        {
            UserId = Text(root, "user", "id") ?? "",
            UserName = Text(root, "user", "name") ?? Text(root, "user", "username") ?? "",
            ChannelId = Text(root, "channel", "id") ?? "",
            ResponseUrl = Text(root, "response_url"),
        };
        var actions = root.TryGetProperty("actions", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(a => new ButtonAction { ActionId = Text(a, "action_id") ?? "", Value = Text(a, "value") ?? "" }).ToList()
            : [];
        var log = logs.CreateLogger("Bot.Slack.Interactions");
        foreach (var action in actions)
        {
            _ = InBackgroundAsync(() => handler.Handle(action, request), log, $"button {action.ActionId}");
        }

        return Results.Ok();
    }

    private static async Task<IResult> EventsAsync(HttpContext http, IEnumerable<IEventHandler<ReactionAdded>> reactionHandlers, ILoggerFactory logs)
    {
        var (body, refusal) = await VerifiedBodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return Results.Problem(statusCode: 400, title: "Bad event", detail: $"Malformed JSON: {e.Message}");
        }

        using (doc)
        {
            var root = doc.RootElement;
            switch (Text(root, "type"))
            {
                case "url_verification":
                    return Results.Json(new ChallengeAnswer(Text(root, "challenge") ?? ""), SlackJsonContext.Default.ChallengeAnswer);
                case "event_callback" when Text(root, "event", "type") == "reaction_added":
                    var e = root.GetProperty("event");
                    var reaction = new ReactionAdded
                    {
                        User = Text(e, "user") ?? "",
                        Reaction = Text(e, "reaction") ?? "",
                        ItemUser = Text(e, "item_user") ?? "",
                        Channel = Text(e, "item", "channel") ?? "",
                        MessageTs = Text(e, "item", "ts") ?? "",
                    };
                    var log = logs.CreateLogger("Bot.Slack.Events");
                    foreach (var handler in reactionHandlers)
                    {
                        _ = InBackgroundAsync(() => handler.Handle(reaction), log, "reaction_added");
                    }

                    return Results.Ok();
                default:
                    return Results.Ok(); // events we do not subscribe to are acknowledged and ignored
            }
        }
    }

    /// <summary>Reads the body (at most 1 MiB) and checks Slack's signature; returns the refusal when it fails.</summary>
    private static async Task<(byte[]? Body, IResult? Refusal)> VerifiedBodyAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<SlackOptions>>().Value;
        if (string.IsNullOrEmpty(options.SigningSecret))
        {
            return (null, Results.Problem(statusCode: 404, title: "Slack is not configured", detail: "Set Slack:SigningSecret to receive Slack requests."));
        }

        if (http.Request.ContentLength > MaxBody)
        {
            return (null, Results.Problem(statusCode: 413, title: "Payload too large", detail: $"Slack requests are at most {MaxBody} bytes."));
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody;
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var check = SlackSignature.Verify(
            options.SigningSecret, http.Request.Headers[SlackSignature.TimestampHeader], http.Request.Headers[SlackSignature.SignatureHeader], body, time.GetUtcNow(), options.SignatureTolerance);
        return check == SignatureCheck.Valid
            ? (body, null)
            : (null, Results.Problem(statusCode: 401, title: "Bad Slack signature", detail: check switch
            {
                SignatureCheck.MissingHeaders => $"The {SlackSignature.TimestampHeader} and {SlackSignature.SignatureHeader} headers are required.",
                SignatureCheck.Stale => "The request timestamp is more than five minutes from now (a replay, or a clock that is off).",
                _ => "The signature does not match the body (wrong Slack:SigningSecret, or a changed body).",
            }));
    }

    private static async Task AnswerLaterAsync(Task<SlashCommandResponse> work, string? responseUrl, ISlackResponder responder, ILogger log)
    {
        try
        {
            var response = await work;
            if (responseUrl is not null)
            {
                await responder.RespondAsync(responseUrl, response.Text, response.ResponseType == "in_channel");
            }
        }
        catch (Exception e)
        {
            log.LogError(e, "A slow slash command failed");
            if (responseUrl is not null)
            {
                await responder.RespondAsync(responseUrl, "Sorry: that command failed; nothing was changed. Try again.", inChannel: false);
            }
        }
    }

    private static async Task InBackgroundAsync(Func<Task> work, ILogger log, string what)
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

    private static string? Text(JsonElement e, params string[] path)
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
}
