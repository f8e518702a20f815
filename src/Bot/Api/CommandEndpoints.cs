using Bot.Core.Commands;
using Bot.Core.Incidents;
using Bot.Webhooks;
using Microsoft.AspNetCore.Mvc;

namespace Bot.Api;

/// <summary>
/// The <c>/incident</c> commands over HTTP, for the local chat and scripts: <c>POST /api/commands</c> (as if typed
/// outside an incident channel: declare, list, help) and <c>POST /api/incidents/{id}/commands</c> (as if typed in
/// that incident's channel).
/// </summary>
internal static class CommandEndpoints
{
    public static void MapCommandApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/commands", ([FromBody] CommandRequest request, IncidentCommands commands, CancellationToken ct) => RunAsync(request, null, commands, ct));
        app.MapPost("/api/incidents/{id}/commands", (string id, [FromBody] CommandRequest request, IncidentCommands commands, CancellationToken ct) =>
            Incident.ParseKey(id) is { } number
                ? RunAsync(request, number, commands, ct)
                : Task.FromResult(WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "No such incident", $"No incident '{id}'.")));
    }

    private static async Task<IResult> RunAsync(CommandRequest request, long? incident, IncidentCommands commands, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.User))
        {
            return WebhookEndpoint.Problem(StatusCodes.Status400BadRequest, "Who is asking?", "user is required (a chat user id); userName is optional.");
        }

        var user = new Actor(request.User.Trim(), string.IsNullOrWhiteSpace(request.UserName) ? request.User.Trim() : request.UserName.Trim());
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
}

/// <param name="User">The chat user id of who typed it.</param>
/// <param name="UserName">Their display name, for the timeline.</param>
/// <param name="Text">What follows the slash command, e.g. <c>note 10:30 DB tests pass</c>.</param>
public sealed record CommandRequest(string? User, string? UserName, string? Text);

public sealed record CommandResponse(bool Ok, string Outcome, string Text, bool Public);
