using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bot.Core.Ports;
using Bot.Slack.Handlers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.SocketMode;

/// <summary>
/// Socket Mode: with <see cref="SlackOptions.AppToken"/> set, the bot asks <c>apps.connections.open</c> for a
/// WebSocket URL and receives slash commands, interactions and events over it, so it needs no public address.
/// <list type="bullet">
/// <item>Each envelope is handled on its own while the connection goes on reading, so one slow command never holds up the
/// acknowledgement of the next (Slack allows 3 seconds each). A slash command's answer rides in its acknowledgement when it
/// is ready within <see cref="SlackInbound.AckBudget"/>; a slower one is acknowledged with "working on it" and answered
/// through its <c>response_url</c>, as over HTTP.</item>
/// <item>On a <c>disconnect</c> message, a dropped connection, or any failure to connect (Slack unreachable, too slow to
/// answer, a refused token), it connects again, backing off up to <see cref="MaxBackoff"/>. Nothing it meets stops the
/// host: webhooks and paging go on while Slack is away.</item>
/// </list>
/// </summary>
public sealed class SocketModeClient(
    IOptions<SlackOptions> options, IHttpClientFactory httpFactory, SlackInbound inbound, TimeProvider time, ILogger<SocketModeClient> log) : BackgroundService
{
    public const string HttpClientName = "slack-socket-mode";
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private int _connections;

    /// <summary>How many connections were opened (for health and tests).</summary>
    public int Connections => Volatile.Read(ref _connections);

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
                Interlocked.Increment(ref _connections);
                backoff = TimeSpan.FromSeconds(1);
                await ReceiveAsync(socket, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever it is (a timeout, a refused token, a broken frame), the bot keeps serving and tries again.
                log.LogWarning("Socket Mode connection lost, reconnecting in {Delay}: {Reason}", backoff, e.Message);
                try
                {
                    await Task.Delay(backoff, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

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
        using var doc = SlackPayload.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        var root = doc.RootElement;
        if (!root.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            throw new InvalidOperationException($"apps.connections.open: {SlackInbound.Text(root, "error") ?? "failed"} (check Slack:AppToken and its connections:write scope)");
        }

        return new Uri(SlackInbound.Text(root, "url") ?? throw new InvalidOperationException("apps.connections.open gave no url"));
    }

    private async Task ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        using var connection = new Connection(socket);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
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

                var bytes = message.ToArray();
                message.SetLength(0);
                if (Read(bytes) is not { } doc)
                {
                    continue;
                }

                using (doc)
                {
                    var type = SlackInbound.Text(doc.RootElement, "type");
                    if (type == "disconnect")
                    {
                        log.LogInformation("Socket Mode: Slack asks to reconnect ({Reason})", SlackInbound.Text(doc.RootElement, "reason"));
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "reconnecting", cancellationToken);
                        return;
                    }

                    if (type == "hello")
                    {
                        log.LogInformation("Socket Mode connected");
                        continue;
                    }

                    if (SlackInbound.Text(doc.RootElement, "envelope_id") is { } envelope && doc.RootElement.TryGetProperty("payload", out var payload))
                    {
                        // Handled beside the reading, so the next envelope is acknowledged in its own time.
                        connection.Track(HandleAsync(connection, envelope, type, payload.Clone(), cancellationToken));
                    }
                }
            }
        }
        finally
        {
            await connection.DrainAsync(); // envelopes under way finish (their acks may find the socket gone: Slack sends them again)
        }
    }

    private JsonDocument? Read(byte[] bytes)
    {
        try
        {
            return SlackPayload.Parse(bytes);
        }
        catch (SlackPayloadException e)
        {
            log.LogWarning("Socket Mode: a message that is not what Slack sends was ignored: {Reason}", e.Message);
            return null;
        }
    }

    /// <summary>Handles one envelope and acknowledges it, with the answer Slack waits for when there is one.</summary>
    private async Task HandleAsync(Connection connection, string envelope, string? type, JsonElement payload, CancellationToken cancellationToken)
    {
        try
        {
            string? answer = null;
            switch (type)
            {
                case "slash_commands":
                    var response = await inbound.CommandInTimeAsync(SlashCommand.FromJson(payload), cancellationToken);
                    answer = JsonSerializer.Serialize(new Endpoints.SlashCommandAnswer(response.ResponseType, response.Text), Endpoints.SlackJsonContext.Default.SlashCommandAnswer);
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
                    catch (Exception e) when (e is SlackPayloadException or StoreUnavailableException)
                    {
                        log.LogWarning("Socket Mode: event {Envelope} not taken, so not acknowledged (Slack sends it again): {Reason}", envelope, e.Message);
                        return;
                    }

                    break;
            }

            var id = JsonEncodedText.Encode(envelope);
            await connection.SendAsync(answer is null ? $"{{\"envelope_id\":\"{id}\"}}" : $"{{\"envelope_id\":\"{id}\",\"payload\":{answer}}}", cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Socket Mode: envelope {Envelope} failed: {Reason}", envelope, e.Message);
        }
    }

    /// <summary>One WebSocket: sends one message at a time, and knows the envelopes it is handling.</summary>
    private sealed class Connection(ClientWebSocket socket) : IDisposable
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly List<Task> _handling = [];

        public void Track(Task handling)
        {
            lock (_handling)
            {
                _handling.RemoveAll(t => t.IsCompleted);
                _handling.Add(handling);
            }
        }

        public Task DrainAsync()
        {
            lock (_handling)
            {
                return Task.WhenAll(_handling);
            }
        }

        public async Task SendAsync(string text, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken);
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
                }
            }
            finally
            {
                _send.Release();
            }
        }

        public void Dispose() => _send.Dispose();
    }
}
