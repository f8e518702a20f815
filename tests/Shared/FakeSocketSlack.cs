using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bot.Tests.Shared;

/// <summary>
/// A stand-in for Slack's Socket Mode service on 127.0.0.1: <c>apps.connections.open</c> (checking the app-level token,
/// answering as Slack does, optionally late) and the WebSocket it hands out; each accepted socket is greeted with
/// <c>hello</c>, and the test plays Slack's side of it (envelopes in, acknowledgements out).
/// </summary>
public sealed class FakeSocketSlack : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<SocketConnection> _connections = Channel.CreateUnbounded<SocketConnection>();
    private readonly System.Collections.Concurrent.ConcurrentBag<SocketConnection> _all = [];
    private int _opens;

    private FakeSocketSlack(WebApplication app) => _app = app;

    public Uri ApiBaseUrl { get; private set; } = null!;

    public int Opens => _opens;

    public const string AppToken = "xapp-1-test";

    /// <summary>How long each coming apps.connections.open waits before it answers (a slow or hung Slack), in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<TimeSpan> OpenDelays { get; } = new();

    public static async Task<FakeSocketSlack> StartAsync(string acceptToken = AppToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeSocketSlack(app);
        app.UseWebSockets();
        app.MapPost("/api/apps.connections.open", async (HttpContext http) =>
        {
            Interlocked.Increment(ref fake._opens);
            if (fake.OpenDelays.TryDequeue(out var delay))
            {
                await Task.Delay(delay, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return http.Request.Headers.Authorization.ToString() == $"Bearer {acceptToken}"
                ? Results.Json(new { ok = true, url = fake.ApiBaseUrl.ToString().Replace("http://", "ws://") + "link" })
                : Results.Json(new { ok = false, error = "invalid_auth" });
        });
        app.Map("/api/link", async (HttpContext http) =>
        {
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            var connection = new SocketConnection(socket);
            fake._all.Add(connection);
            await connection.SendAsync(new { type = "hello", num_connections = 1 });
            await fake._connections.Writer.WriteAsync(connection);
            await connection.Closed.Task;
        });
        await app.StartAsync();
        fake.ApiBaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/api/");
        return fake;
    }

    public async Task<SocketConnection> NextConnectionAsync() => await _connections.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _all)
        {
            c.Closed.TrySetResult();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class SocketConnection(WebSocket socket)
{
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendAsync(object message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task<JsonElement> ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
    }

    public void Abort()
    {
        socket.Abort();
        Closed.TrySetResult();
    }
}
