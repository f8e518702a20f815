using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace Bot.Tests.Shared;

/// <summary>
/// A stand-in for Slack's Web API on 127.0.0.1. It knows the methods and required arguments from Slack's own
/// description (tests/Fixtures/slack/slack_web_openapi_v2.json), answers like Slack (HTTP 200 with ok true/false),
/// checks the bearer token, records every call, and can be told to fail: 429 with Retry-After, 5xx, or ok:false.
/// </summary>
public sealed class FakeSlack : IAsyncDisposable
{
    public const string Token = "xoxb-test-token";

    private static readonly Lazy<Dictionary<string, string[]>> Spec = new(LoadSpec);
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Method, Func<HttpResponse, Task> Answer)> _failures = new();
    /// <summary>The bot's own user id, as auth.test tells it.</summary>
    public const string BotUserId = "U0BOT";

    /// <summary>Channels by name: id, creator, created (Unix seconds), topic.</summary>
    private readonly Dictionary<string, (string Id, string Creator, long Created, string Topic)> _channels = [];
    private int _sequence;

    private FakeSlack(WebApplication app) => _app = app;

    public Uri ApiBaseUrl { get; private set; } = null!;

    public ConcurrentQueue<Call> Calls { get; } = new();

    /// <summary>Messages the history answers with, by channel and ts.</summary>
    public ConcurrentDictionary<(string Channel, string Ts), (string User, string Text)> History { get; } = new();

    /// <summary>Every message chat.postMessage posted, in order, with the channel Slack put it in and its metadata key.</summary>
    public ConcurrentQueue<(string Channel, string Ts, string? Key)> Posted { get; } = new();

    private readonly ConcurrentQueue<(string Method, int Status)> _afterDoing = new();

    /// <summary>
    /// The next <paramref name="times"/> calls to <paramref name="method"/> do what they ask and then answer HTTP
    /// <paramref name="status"/>, as when Slack acted but its answer was lost.
    /// </summary>
    /// <summary>views.open answers ok without <c>view.id</c>.</summary>
    public bool ViewsOpenWithoutId { get; set; }

    public void FailAfterDoing(string method, int status, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            _afterDoing.Enqueue((method, status));
        }
    }

    public sealed record Call(string Method, JsonObject Args, DateTimeOffset At);

    /// <summary>What was posted to <see cref="ResponseUrl"/>.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<JsonObject> Responses { get; } = new();

    /// <summary>A response_url the bot may answer through (on loopback, as the bot allows besides hooks.slack.com).</summary>
    public string ResponseUrl => new Uri(ApiBaseUrl, "/hooks/1").ToString();

    public static async Task<FakeSlack> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeSlack(app);
        app.Map("/api/{method}", fake.HandleAsync);
        app.MapPost("/hooks/{id}", async (HttpContext http) =>
        {
            // A response_url: Slack's answers to interactions and slow commands.
            fake.Responses.Enqueue(System.Text.Json.Nodes.JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!.AsObject());
            return Results.Ok();
        });
        await app.StartAsync();
        fake.ApiBaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/api/");
        return fake;
    }

    public IReadOnlyList<Call> CallsTo(string method) => Calls.Where(c => c.Method == method).ToList();

    /// <summary>The next <paramref name="times"/> calls to <paramref name="method"/> answer HTTP <paramref name="status"/>.</summary>
    public void FailWithStatus(string method, int status, int times = 1, int? retryAfterSeconds = null)
    {
        for (var i = 0; i < times; i++)
        {
            _failures.Enqueue((method, r =>
            {
                r.StatusCode = status;
                if (retryAfterSeconds is { } s)
                {
                    r.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return Task.CompletedTask;
            }));
        }
    }

    /// <summary>The next <paramref name="times"/> calls to <paramref name="method"/> answer ok:false with <paramref name="error"/>.</summary>
    public void FailWithError(string method, string error, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            _failures.Enqueue((method, r => r.WriteAsJsonAsync(new JsonObject { ["ok"] = false, ["error"] = error })));
        }
    }

    /// <summary>A channel of that name exists, made by someone else (or by the bot, with a topic, for another incident).</summary>
    public void TakeChannelName(string name, string creator = "U0SOMEONE", string topic = "")
    {
        lock (_channels)
        {
            _channels[name] = ($"C9{_channels.Count:D5}", creator, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), topic);
        }
    }

    /// <summary>The channels made through conversations.create, by name.</summary>
    public IReadOnlyList<string> ChannelsMadeByTheBot
    {
        get
        {
            lock (_channels)
            {
                return _channels.Where(c => c.Value.Creator == BotUserId).Select(c => c.Key).ToList();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Dictionary<string, string[]> LoadSpec()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "slack", "slack_web_openapi_v2.json")));
        var methods = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            var op = path.Value.EnumerateObject().First().Value;
            var required = op.TryGetProperty("parameters", out var ps)
                ? ps.EnumerateArray().Where(p => p.TryGetProperty("required", out var r) && r.GetBoolean()).Select(p => p.GetProperty("name").GetString()!).Where(n => n != "token").ToArray()
                : [];
            methods[path.Name.TrimStart('/')] = required;
        }

        return methods;
    }

    private async Task HandleAsync(HttpContext http, string method)
    {
        if (!Spec.Value.TryGetValue(method, out var required))
        {
            http.Response.StatusCode = 404;
            await http.Response.WriteAsJsonAsync(new JsonObject { ["ok"] = false, ["error"] = "unknown_method" });
            return;
        }

        var args = new JsonObject();
        foreach (var (k, v) in http.Request.Query)
        {
            args[k] = v.ToString();
        }

        if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            // Read JSON whatever the content type says (as Slack does for application/json bodies).
            if (await JsonNode.ParseAsync(http.Request.Body) is JsonObject body)
            {
                foreach (var (k, v) in body.ToList())
                {
                    body.Remove(k);
                    args[k] = v;
                }
            }
        }

        Calls.Enqueue(new Call(method, args, DateTimeOffset.UtcNow));
        if (http.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            await http.Response.WriteAsJsonAsync(new JsonObject { ["ok"] = false, ["error"] = "invalid_auth" });
            return;
        }

        if (_failures.TryPeek(out var failure) && failure.Method == method && _failures.TryDequeue(out failure))
        {
            await failure.Answer(http.Response);
            return;
        }

        var missing = required.Where(r => args[r] is null).ToList();
        if (missing.Count > 0)
        {
            await http.Response.WriteAsJsonAsync(new JsonObject { ["ok"] = false, ["error"] = "invalid_arguments", ["missing"] = string.Join(",", missing) });
            return;
        }

        var answer = Answer(method, args);
        if (_afterDoing.TryPeek(out var after) && after.Method == method && _afterDoing.TryDequeue(out after))
        {
            http.Response.StatusCode = after.Status;
            return;
        }

        await http.Response.WriteAsJsonAsync(answer);
    }

    private JsonObject Answer(string method, JsonObject args)
    {
        var n = Interlocked.Increment(ref _sequence);
        string Arg(string name) => args[name]?.ToString() ?? "";
        switch (method)
        {
            case "conversations.create":
                lock (_channels)
                {
                    if (_channels.ContainsKey(Arg("name")))
                    {
                        return new JsonObject { ["ok"] = false, ["error"] = "name_taken" };
                    }

                    _channels[Arg("name")] = ($"C{n:D6}", BotUserId, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), "");
                }

                return new JsonObject { ["ok"] = true, ["channel"] = new JsonObject { ["id"] = $"C{n:D6}", ["name"] = Arg("name") } };
            case "conversations.setTopic":
                lock (_channels)
                {
                    foreach (var (name, c) in _channels.Where(c => c.Value.Id == Arg("channel")).ToList())
                    {
                        _channels[name] = c with { Topic = Arg("topic") };
                    }
                }

                return new JsonObject { ["ok"] = true };
            case "conversations.list":
                lock (_channels)
                {
                    var list = new JsonArray();
                    foreach (var (name, c) in _channels)
                    {
                        list.Add(new JsonObject
                        {
                            ["id"] = c.Id, ["name"] = name, ["creator"] = c.Creator, ["created"] = c.Created,
                            ["topic"] = new JsonObject { ["value"] = c.Topic },
                        });
                    }

                    return new JsonObject { ["ok"] = true, ["channels"] = list, ["response_metadata"] = new JsonObject { ["next_cursor"] = "" } };
                }

            case "views.open":
                return ViewsOpenWithoutId
                    ? new JsonObject { ["ok"] = true } // seen: an ok answer without the view, the modal open all the same
                    : new JsonObject { ["ok"] = true, ["view"] = new JsonObject { ["id"] = $"V{n:D6}" } };
            case "auth.test":
                return new JsonObject { ["ok"] = true, ["user_id"] = BotUserId, ["team_id"] = "T0TEAM" };
            case "chat.postMessage":
            {
                // As Slack: a message to a user goes to the direct-message channel with them.
                var channel = Arg("channel") is ['U' or 'W', ..] user ? $"D{user}" : Arg("channel");
                var ts = $"1700000000.{n:D6}";
                Posted.Enqueue((channel, ts, args["metadata"]?["event_payload"]?["key"]?.ToString()));
                return new JsonObject { ["ok"] = true, ["channel"] = channel, ["ts"] = ts };
            }

            case "conversations.open":
                return new JsonObject { ["ok"] = true, ["channel"] = new JsonObject { ["id"] = $"D{Arg("users")}" } };
            case "conversations.history" when args["latest"] is null:
            {
                var limit = int.TryParse(Arg("limit"), out var l) ? l : 100;
                var withMetadata = Arg("include_all_metadata") is "true" or "True";
                var messages = new JsonArray();
                foreach (var (_, ts, key) in Posted.Where(p => p.Channel == Arg("channel")).Reverse().Take(limit))
                {
                    var message = new JsonObject { ["type"] = "message", ["ts"] = ts };
                    if (withMetadata && key is not null)
                    {
                        message["metadata"] = new JsonObject { ["event_type"] = "incident_bot_post", ["event_payload"] = new JsonObject { ["key"] = key } };
                    }

                    messages.Add(message);
                }

                return new JsonObject { ["ok"] = true, ["messages"] = messages };
            }

            case "conversations.history":
                var hit = History.TryGetValue((Arg("channel"), Arg("latest")), out var m);
                return new JsonObject
                {
                    ["ok"] = true,
                    ["messages"] = hit ? new JsonArray(new JsonObject { ["ts"] = Arg("latest"), ["user"] = m.User, ["text"] = m.Text }) : new JsonArray(),
                };
            case "users.info":
                return new JsonObject { ["ok"] = true, ["user"] = new JsonObject { ["id"] = Arg("user"), ["name"] = Arg("user").ToLowerInvariant(), ["profile"] = new JsonObject { ["display_name"] = $"name-of-{Arg("user")}" } } };
            case "usergroups.users.list":
                return new JsonObject { ["ok"] = true, ["users"] = new JsonArray("U1", "U2") };
            default:
                return new JsonObject { ["ok"] = true };
        }
    }
}
