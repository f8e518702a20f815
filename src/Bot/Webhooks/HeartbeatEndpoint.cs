using Bot.Core.Heartbeats;
using Bot.Core.Ports;
using Bot.Security;
using Microsoft.Extensions.Options;

namespace Bot.Webhooks;

/// <summary>
/// <c>POST /heartbeats/{name}</c>: a beat of a configured heartbeat (no body needed), with its token (Bearer, or basic
/// auth's password); a heartbeat without a token takes beats from this machine only. 200 once the beat is stored.
/// </summary>
internal static class HeartbeatEndpoint
{
    public static void MapHeartbeats(this IEndpointRouteBuilder app) =>
        app.MapPost("/heartbeats/{name}", HandleAsync).WithName("Heartbeat");

    private static async Task<IResult> HandleAsync(
        string name, HttpContext http, HeartbeatMonitor monitor, IUnitOfWork<IHeartbeatSession> store, IOptions<SecurityOptions> security, ILoggerFactory logs)
    {
        if (monitor.Find(name) is not { } heartbeat)
        {
            return WebhookEndpoint.Problem(StatusCodes.Status404NotFound, "Unknown heartbeat", $"No heartbeat is named '{name}'. Configured: {string.Join(", ", monitor.Names)}.");
        }

        if (SenderAccess.Refusal(http, heartbeat.Token, user: null, security.Value, $"Heartbeat '{name}'", "beats", $"Heartbeats:{name}:Token") is { } refused)
        {
            return refused;
        }

        try
        {
            await store.WriteAsync(s => monitor.Beat(s, name), CancellationToken.None);
            return Results.Ok(new { heartbeat = name });
        }
        catch (StoreUnavailableException e)
        {
            logs.CreateLogger("Bot.Heartbeats").LogError(e, "Beat of {Heartbeat} not stored: the store is unavailable", name);
            http.Response.Headers.RetryAfter = "5";
            return WebhookEndpoint.Problem(StatusCodes.Status503ServiceUnavailable, "Store unavailable", "The beat was not stored; retry later.");
        }
    }
}

/// <summary>At start, watches every configured heartbeat that has no state yet: its first beat is due an interval from now.</summary>
internal sealed class HeartbeatWatcher(HeartbeatMonitor monitor, IUnitOfWork<IHeartbeatSession> store, ILogger<HeartbeatWatcher> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var name in monitor.Names)
        {
            try
            {
                await store.WriteAsync(s => monitor.Watch(s, name), cancellationToken);
            }
            catch (StoreUnavailableException e)
            {
                log.LogError(e, "Could not start watching heartbeat {Heartbeat}; it is watched from its first beat", name);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
