using System.Buffers;
using Bot.Core.Heartbeats;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.Core.Telemetry;
using Bot.Security;
using Microsoft.Extensions.Options;

namespace Bot.Webhooks;

/// <summary>
/// <c>POST /webhooks/{source}</c>: authenticate, read (size-limited), parse, and store the alerts. The answer
/// is 200 only after the alerts are committed; nothing is stored for a request that gets a 4xx, and a store
/// failure is a 503 so that the sender retries.
/// </summary>
internal static class WebhookEndpoint
{
    public static void MapWebhooks(this IEndpointRouteBuilder app) =>
        app.MapPost("/webhooks/{source}", HandleAsync).WithName("Webhook");

    /// <summary>Answers, and counts the answer by source (an unknown source's name is not a label: <c>unknown</c>) and status code.</summary>
    private static async Task<IResult> HandleAsync(
        string source, HttpContext http, IOptions<WebhookOptions> options, IOptions<SecurityOptions> security, IUnitOfWork<IHeartbeatSession> store, AlertIntake intake,
        HeartbeatMonitor heartbeats, TimeProvider time, ILoggerFactory logs)
    {
        var result = await AnswerAsync(source, http, options, security, store, intake, heartbeats, time, logs);
        var known = options.Value.Sources.ContainsKey(source);
        BotTelemetry.Webhooks.Add(1, BotTelemetry.Tag("source", known ? source : "unknown"), BotTelemetry.Tag("code", (result as IStatusCodeHttpResult)?.StatusCode ?? 200));
        return result;
    }

    private static async Task<IResult> AnswerAsync(
        string source, HttpContext http, IOptions<WebhookOptions> options, IOptions<SecurityOptions> security, IUnitOfWork<IHeartbeatSession> store, AlertIntake intake,
        HeartbeatMonitor heartbeats, TimeProvider time, ILoggerFactory logs)
    {
        var settings = options.Value;
        if (!settings.Sources.TryGetValue(source, out var config) || !config.Enabled)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown webhook source", $"No webhook source is named '{source}'. Configured: {string.Join(", ", settings.Sources.Where(s => s.Value.Enabled).Select(s => s.Key))}.");
        }

        if (SenderAccess.Refusal(http, config.Token, config.User, security.Value, $"Source '{source}'", "alerts", $"{WebhookOptions.SectionName}:Sources:{source}:Token") is { } refused)
        {
            return refused;
        }

        // JSON only: a web page can post text/plain (or a form) to any address without asking, but not application/json.
        if (!IsJson(http.Request.ContentType))
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"The body must be JSON (Content-Type: application/json); it was '{http.Request.ContentType}'.");
        }

        var max = settings.MaxBodyBytes;
        if (http.Request.ContentLength > max)
        {
            return TooLarge(source, max, http.Request.ContentLength.Value, logs);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, (int)(http.Request.ContentLength ?? 16 * 1024) + 1));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > max)
                    {
                        return TooLarge(source, max, length, logs);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > max)
                {
                    return TooLarge(source, max, length, logs);
                }
            }

            var parser = WebhookParsers.ByFormat[config.Format];
            AlertBatch batch;
            try
            {
                batch = parser.Parse(buffer.AsSpan(0, length), source, time.GetUtcNow());
            }
            catch (WebhookFormatException e)
            {
                return Problem(StatusCodes.Status400BadRequest, $"Invalid {parser.Format} webhook", e.Message);
            }

            if (batch.LeftOut > 0)
            {
                // Counted as they arrive, and logged: the incident's tally counts only the alerts the sender sent.
                BotTelemetry.Alerts.Add(batch.LeftOut, BotTelemetry.Tag("source", source), BotTelemetry.Tag("change", "left_out"));
                logs.CreateLogger("Bot.Webhooks").LogWarning(
                    "Webhook from {Source} left out {LeftOut} alerts of group {Group} (Alertmanager's max_alerts): the bot does not hear of them, nor of their resolution",
                    source,
                    batch.LeftOut,
                    batch.GroupKey);
            }

            var report = intake.AffinityOf(batch) is { } group
                ? await store.WriteAsync(s => heartbeats.Ingest(s, batch), group, CancellationToken.None)
                : await store.WriteAsync(s => heartbeats.Ingest(s, batch), CancellationToken.None);
            BotTelemetry.Alerts.Add(report.NewAlerts, BotTelemetry.Tag("source", source), BotTelemetry.Tag("change", "new"));
            BotTelemetry.Alerts.Add(report.ChangedAlerts, BotTelemetry.Tag("source", source), BotTelemetry.Tag("change", "changed"));
            BotTelemetry.Alerts.Add(report.UnchangedAlerts, BotTelemetry.Tag("source", source), BotTelemetry.Tag("change", "unchanged"));
            return Results.Ok(new WebhookAccepted(report.Opened, report.Updated, batch.Alerts.Count, report.NewAlerts, report.ChangedAlerts, report.UnchangedAlerts));
        }
        catch (StoreUnavailableException e)
        {
            logs.CreateLogger("Bot.Webhooks").LogError(e, "Webhook from {Source} not stored: the store is unavailable", source);
            http.Response.Headers.RetryAfter = "5";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Store unavailable", "The alerts were not stored; retry later.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary><c>application/json</c> or any <c>application/*+json</c>, with or without a charset.</summary>
    internal static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// A 413, logged as a warning: the sender's alerts are lost (Alertmanager does not retry a 4xx, and sends the group
    /// whole again at its next interval), so whoever runs the bot must hear of it.
    /// </summary>
    private static IResult TooLarge(string source, int max, long seen, ILoggerFactory logs)
    {
        logs.CreateLogger("Bot.Webhooks").LogWarning(
            "Webhook from {Source} refused: its body ({Bytes} bytes or more) is over Webhooks:MaxBodyBytes ({Max}), so its alerts are lost. " +
            "Raise the limit, or bound what the sender puts in one webhook (Alertmanager: max_alerts in its webhook_config).",
            source,
            seen,
            max);
        return Problem(
            StatusCodes.Status413PayloadTooLarge,
            "Payload too large",
            $"The body is larger than the limit of {max} bytes (Webhooks:MaxBodyBytes). Send fewer alerts a webhook (Alertmanager: max_alerts), or raise the limit.");
    }

    internal static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);
}

/// <summary>The answer to an accepted webhook.</summary>
public sealed record WebhookAccepted(
    IReadOnlyList<string> Opened, IReadOnlyList<string> Updated, int Alerts, int NewAlerts, int ChangedAlerts, int UnchangedAlerts);
