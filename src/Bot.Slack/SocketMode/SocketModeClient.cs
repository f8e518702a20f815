using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bot.Slack.Handlers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.SocketMode;

/// <summary>
/// Socket Mode: with <see cref="SlackOptions.AppToken"/> set, the bot asks <c>apps.connections.open</c> for a
/// WebSocket URL and receives slash commands, interactions and events over it, so it needs no public address. Every
/// envelope is acknowledged (a slash command's answer rides in the acknowledgement). On a <c>disconnect</c> message
/// or a dropped connection it connects again, backing off up to 30 s while Slack is unreachable.
/// </summary>
public sealed class SocketModeClient(
    IOptions<SlackOptions> options, IHttpClientFactory httpFactory, SlackInbound inbound, TimeProvider time, ILogger<SocketModeClient> log) : BackgroundService
{
    public const string HttpClientName = "slack-socket-mode";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>How many connections were opened (for health and tests).</summary>
    public int Connections { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrEmpty(options.Value.AppToken))
        {
            return;
        }

        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var url = await OpenAsync(stoppingToken);
                using var socket = new ClientWebSocket();
                await socket.ConnectAsync(url, stoppingToken);
                Connections++;
                backoff = TimeSpan.FromSeconds(1);
                await ReceiveAsync(socket, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or InvalidOperationException or JsonException)
            {
                log.LogWarning("Socket Mode connection lost, reconnecting in {Delay}: {Reason}", backoff, e.Message);
                await Task.Delay(backoff, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task<Uri> OpenAsync(CancellationToken cancellationToken)
    {
        var http = httpFactory.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Value.ApiBaseUrl, "apps.connections.open"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.AppToken);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = doc.RootElement;
        if (!root.TryGetProperty("ok", out var ok) || !ok.GetBoolean())
        {
            throw new InvalidOperationException($"apps.connections.open: {SlackInbound.Text(root, "error") ?? "failed"} (check Slack:AppToken and its connections:write scope)");
        }

        return new Uri(SlackInbound.Text(root, "url") ?? throw new InvalidOperationException("apps.connections.open gave no url"));
    }

    private async Task ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = SlackPayload.Parse(message.ToArray());
            }
            catch (SlackPayloadException e)
            {
                log.LogWarning("Socket Mode: a message that is not what Slack sends was ignored: {Reason}", e.Message);
                message.SetLength(0);
                continue;
            }

            using var _ = doc;
            message.SetLength(0);
            if (!await HandleAsync(socket, doc.RootElement, cancellationToken))
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "reconnecting", cancellationToken);
                return;
            }
        }
    }

    /// <summary>Handles one message; false when Slack asks us to reconnect.</summary>
    private async Task<bool> HandleAsync(ClientWebSocket socket, JsonElement root, CancellationToken cancellationToken)
    {
        var type = SlackInbound.Text(root, "type");
        if (type == "hello")
        {
            log.LogInformation("Socket Mode connected");
            return true;
        }

        if (type == "disconnect")
        {
            log.LogInformation("Socket Mode: Slack asks to reconnect ({Reason})", SlackInbound.Text(root, "reason"));
            return false;
        }

        var envelope = SlackInbound.Text(root, "envelope_id");
        if (envelope is null || !root.TryGetProperty("payload", out var payload))
        {
            return true;
        }

        string? answer = null;
        switch (type)
        {
            case "slash_commands":
                var work = inbound.CommandAsync(SlashCommand.FromJson(payload));
                if (await Task.WhenAny(work, Task.Delay(Endpoints.SlackEndpoints.AckBudget, time, cancellationToken)) == work)
                {
                    var response = await work;
                    answer = JsonSerializer.Serialize(new Endpoints.SlashCommandAnswer(response.ResponseType, response.Text), Endpoints.SlackJsonContext.Default.SlashCommandAnswer);
                }

                break;
            case "interactive" when SlackInbound.Text(payload, "type") == "view_submission":
                answer = await inbound.ViewSubmissionAsync(payload); // in the ack, as over HTTP
                break;
            case "interactive":
                inbound.Interaction(payload);
                break;
            case "events_api":
                try
                {
                    await inbound.EventAsync(payload, cancellationToken);
                }
                catch (Exception e) when (e is SlackPayloadException or Bot.Core.Ports.StoreUnavailableException)
                {
                    log.LogWarning("Socket Mode: event {Envelope} not taken: {Reason}", envelope, e.Message);
                    return true; // not acknowledged: Slack sends it again
                }

                break;
        }

        var id = JsonEncodedText.Encode(envelope);
        var ack = answer is null ? $"{{\"envelope_id\":\"{id}\"}}" : $"{{\"envelope_id\":\"{id}\",\"payload\":{answer}}}";
        await socket.SendAsync(Encoding.UTF8.GetBytes(ack), WebSocketMessageType.Text, true, cancellationToken);
        return true;
    }
}
