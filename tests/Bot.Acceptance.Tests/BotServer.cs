using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Bot.Acceptance.Tests;

/// <summary>The real bot on Kestrel at 127.0.0.1 on a free port, with its data in a temporary folder.</summary>
public sealed class BotServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BotServer(WebApplication app, string folder, Uri address)
    {
        _app = app;
        Folder = folder;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Folder { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Settings as the command line's arguments (<c>--Key=Value</c>), for this bot or one started as a process.</summary>
    public static string[] Arguments(IDictionary<string, string?> settings) => [.. settings.Select(kv => $"--{kv.Key}={kv.Value}")];

    public static async Task<BotServer> StartAsync(
        IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null, string? folder = null)
    {
        folder ??= Path.Combine(Path.GetTempPath(), "bot-acceptance", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Storage:SqlitePath={Path.Combine(folder, "bot.db")}",
            $"--LocalChat:Directory={Path.Combine(folder, "chat")}",
            $"--GitHub:LocalDirectory={Path.Combine(folder, "repo")}",
            $"--Paging:LocalDirectory={Path.Combine(folder, "pages")}",
            "--Outbox:PollInterval=00:00:00.100",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(Arguments(settings ?? new Dictionary<string, string?>()));
        var app = BotApp.Build([.. args], configure);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new BotServer(app, folder, new Uri(address));
    }

    public Task<HttpResponseMessage> PostWebhookAsync(string source, string json, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{source}")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return Client.SendAsync(request);
    }

    public async Task<JsonElement> GetJsonAsync(string path) => await Client.GetFromJsonAsync<JsonElement>(path);

    /// <summary>As <see cref="GetJsonAsync(string)"/>, with an API token.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until the outbox has no job claimed and none due in the next <paramref name="horizon"/> (default 3 s).</summary>
    public Task WaitForQuietOutboxAsync(TimeSpan? horizon = null) => OutboxProbe.WaitForQuietSqliteAsync(Path.Combine(Folder, "bot.db"), horizon);

    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="timeout"/>.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value;
        do
        {
            value = await read();
            if (condition(value))
            {
                return value;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}; last value: {value}");
    }

    /// <summary>Stops the bot but keeps its data, as a restart would (start another on <see cref="Folder"/>).</summary>
    public bool KeepFolder { get; set; }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (KeepFolder)
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
