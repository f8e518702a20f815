using System.Security.Claims;
using Bot.Core.Commands;
using Bot.Core.Incidents;
using Bot.Security;
using Bot.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Bot.Api;

/// <summary>
/// The <c>/incident</c> commands over HTTP, for the local chat and scripts: <c>POST /api/commands</c> (as if typed
/// outside an incident channel: declare, list, help) and <c>POST /api/incidents/{id}/commands</c> (as if typed in
/// that incident's channel). The author is the token's user (scope <c>commands</c>); the body's <c>user</c> counts only
/// for a token with <c>act-as</c> (the timeline then says "alice (via ci-bridge)") and for the local operator.
/// </summary>
internal static class CommandEndpoints
{
    /// <summary>The largest command body: a command's text is at most <see cref="CommandParser.MaxLength"/> characters.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static void MapCommandApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/commands", ([FromBody] CommandRequest request, ClaimsPrincipal caller, IncidentCommands commands, CancellationToken ct) => RunAsync(request, caller, null, commands, ct))
            .RequireAuthorization(ApiScopes.Commands).WithMetadata(new BodyLimit(MaxBodyBytes));
        app.MapPost("/api/incidents/{id}/commands", (string id, [FromBody] CommandRequest request, ClaimsPrincipal caller, IncidentCommands commands, CancellationToken ct) =>
            Incident.ParseKey(id) is { } number
                ? RunAsync(request, caller, number, commands, ct)
                : Task.FromResult(WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "No such incident", $"No incident '{id}'.")))
            .RequireAuthorization(ApiScopes.Commands).WithMetadata(new BodyLimit(MaxBodyBytes));
    }

    private static async Task<IResult> RunAsync(CommandRequest request, ClaimsPrincipal caller, long? incident, IncidentCommands commands, CancellationToken ct)
    {
        if (Author(request, caller) is not { } user)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Who is asking?", "user is required (a chat user id); userName is optional.");
        }

        var reply = await commands.ExecuteAsync(request.Text ?? "", new CommandContext(user, incident), ct);
        var status = reply.Outcome switch
        {
            CommandOutcome.Done => StatusCodes.Status200OK,
            CommandOutcome.Forbidden => StatusCodes.Status403Forbidden,
            CommandOutcome.NotFound => StatusCodes.Status404NotFound,
            CommandOutcome.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        };
        return Results.Json(new CommandResponse(reply.Ok, reply.Outcome.ToString().ToLowerInvariant(), Core.Chat.ChatMarkup.Plain(reply.Text), reply.Public), BotJsonContext.Default.CommandResponse, statusCode: status);
    }

    /// <summary>Who the command is written as: the token's user, or the body's when the caller may name it; null when nobody is named.</summary>
    internal static Actor? Author(CommandRequest request, ClaimsPrincipal caller)
    {
        var token = caller.FindFirstValue(ApiTokenHandler.TokenClaim);
        var named = string.IsNullOrWhiteSpace(request.User) ? null : request.User.Trim();
        if (named is not null && caller.HasClaim(ApiScopes.ClaimType, ApiScopes.ActAs))
        {
            var name = string.IsNullOrWhiteSpace(request.UserName) ? named : request.UserName.Trim();
            return new Actor(named, token == ApiTokenHandler.LocalToken ? name : $"{name} (via {token})");
        }

        return caller.FindFirstValue(ClaimTypes.NameIdentifier) is { } id ? new Actor(id, caller.FindFirstValue(ClaimTypes.Name) ?? id) : null;
    }
}

/// <param name="User">The chat user id of who typed it (honoured for the local operator and act-as tokens only).</param>
/// <param name="UserName">Their display name, for the timeline.</param>
/// <param name="Text">What follows the slash command, e.g. <c>note 10:30 DB tests pass</c>.</param>
public sealed record CommandRequest(string? User, string? UserName, string? Text);

public sealed record CommandResponse(bool Ok, string Outcome, string Text, bool Public);
