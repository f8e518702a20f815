using System.Net;
using Bot.Core.Telemetry;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Bot.Slack.WebApi;

/// <summary>The Web API, shaped like SlackNet's <c>ISlackApiClient</c>: one sub-API per method group.</summary>
public interface ISlackApiClient
{
    IChatApi Chat { get; }

    IConversationsApi Conversations { get; }

    IPinsApi Pins { get; }

    IUsersApi Users { get; }

    IUserGroupUsersApi UserGroupUsers { get; }

    IViewsApi Views { get; }

    IAuthApi Auth { get; }

    /// <summary>Calls a write method with a JSON body; returns the answer's root. Throws <see cref="SlackApiException"/>.</summary>
    Task<JsonElement> Post(string method, SlackArgs args, CancellationToken cancellationToken = default);

    /// <summary>Calls a read method with query arguments.</summary>
    Task<JsonElement> Get(string method, SlackArgs args, CancellationToken cancellationToken = default);
}

/// <summary>
/// The client core. Every call carries the bot token as a bearer header, waits for a slot of its method's rate tier,
/// and goes through a Polly retry pipeline: HTTP 429 is retried after its Retry-After when that is short (else it
/// surfaces, for the outbox to retry later), and the method's other calls wait as long (or surface at once, uncalled);
/// 5xx and refused connections are retried a few times with backoff. A timeout is not retried here: Slack may have
/// acted, and the durable outbox decides. Nor is a 5xx of <c>chat.postMessage</c> or <c>conversations.create</c>: the
/// message or channel may have been made, and only the outbox's retry looks for it before making it again.
/// </summary>
public sealed class SlackApiClient : ISlackApiClient
{
    /// <summary>
    /// The named client from <see cref="IHttpClientFactory"/>, taken per call: this client is a singleton, and a typed client
    /// held by one would keep its first handler, and its DNS answers, for ever.
    /// </summary>
    public const string HttpClientName = "slack-web-api";

    /// <summary>The longest Retry-After waited in place; longer ones are left to the outbox.</summary>
    public static readonly TimeSpan MaxInlineWait = TimeSpan.FromSeconds(20);

    private readonly IHttpClientFactory _http;
    private readonly SlackOptions _options;
    private readonly SlackMethodTiers _tiers;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly ResiliencePipeline<HttpResponseMessage> _retryRateLimits;

    /// <summary>Methods that act again when called again: only a 429 (Slack did nothing) is retried in place.</summary>
    private static readonly IReadOnlySet<string> NotIdempotent = new HashSet<string>(StringComparer.Ordinal) { "chat.postMessage", "conversations.create" };

    public SlackApiClient(IHttpClientFactory http, IOptions<SlackOptions> options, SlackMethodTiers tiers, ChannelPacer pacer, TimeProvider time)
    {
        _http = http;
        _time = time;
        _options = options.Value;
        _tiers = tiers;
        _retry = Retries(time, serverErrors: true);
        _retryRateLimits = Retries(time, serverErrors: false);
        Chat = new ChatApi(this, pacer);
        Conversations = new ConversationsApi(this);
        Pins = new PinsApi(this);
        Users = new UsersApi(this);
        UserGroupUsers = new UserGroupUsersApi(this);
        Views = new ViewsApi(this);
        Auth = new AuthApi(this);
    }

    public IChatApi Chat { get; }

    public IConversationsApi Conversations { get; }

    public IPinsApi Pins { get; }

    public IUsersApi Users { get; }

    public IUserGroupUsersApi UserGroupUsers { get; }

    public IViewsApi Views { get; }

    public IAuthApi Auth { get; }

    public Task<JsonElement> Post(string method, SlackArgs args, CancellationToken cancellationToken = default) =>
        CallAsync(method, () => new HttpRequestMessage(HttpMethod.Post, method) { Content = Json(args) }, cancellationToken);

    public Task<JsonElement> Get(string method, SlackArgs args, CancellationToken cancellationToken = default) =>
        CallAsync(method, () => new HttpRequestMessage(HttpMethod.Get, args.Count == 0 ? method : $"{method}?{args.ToQuery()}"), cancellationToken);

    private static ByteArrayContent Json(SlackArgs args)
    {
        var content = new ByteArrayContent(args.ToJson());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    /// <summary>
    /// Retries in place: a short 429 after its Retry-After (Slack did nothing); with <paramref name="serverErrors"/>, also
    /// 5xx and failed connections, with jittered exponential backoff.
    /// </summary>
    private ResiliencePipeline<HttpResponseMessage> Retries(TimeProvider time, bool serverErrors) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Result: { StatusCode: HttpStatusCode.TooManyRequests } r } => RetryAfter(r) <= MaxInlineWait,
                    { Result: { } r } => serverErrors && (int)r.StatusCode >= 500,
                    { Exception: HttpRequestException } => serverErrors,
                    _ => false,
                }),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } r ? RetryAfter(r) : null),
            })
            .Build();

    /// <summary>How long Slack asks us to wait: Retry-After in seconds, or as a date (from the clock of <see cref="TimeProvider"/>).</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } date ? date - _time.GetUtcNow() : TimeSpan.FromSeconds(1));

    private async Task<JsonElement> CallAsync(string method, Func<HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        if (!SlackScopes.ByMethod.ContainsKey(method))
        {
            throw new InvalidOperationException($"Slack method {method} is not in SlackScopes: add it there and to manifests/slack-app.yaml.");
        }

        if (string.IsNullOrEmpty(_options.BotToken))
        {
            throw new SlackApiException(method, "not_authed");
        }

        var paused = _tiers.PausedFor(method, _time.GetUtcNow());
        if (paused > MaxInlineWait)
        {
            throw new SlackApiException(method, "ratelimited", paused); // Slack asked for no call of it until then: not called
        }

        if (paused > TimeSpan.Zero)
        {
            await Task.Delay(paused, _time, cancellationToken);
        }

        await _tiers.WaitAsync(method, cancellationToken);
        using var response = await (NotIdempotent.Contains(method) ? _retryRateLimits : _retry).ExecuteAsync(
            async ct =>
            {
                using var request = build();
                request.RequestUri = new Uri(_options.ApiBaseUrl, request.RequestUri!.ToString());
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.BotToken);
                HttpResponseMessage answer;
                try
                {
                    answer = await _http.CreateClient(HttpClientName).SendAsync(request, ct);
                }
                catch (HttpRequestException)
                {
                    Count(method, "error");
                    throw;
                }

                if (answer.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    var wait = RetryAfter(answer) ?? TimeSpan.Zero;
                    _tiers.PauseUntil(method, _time.GetUtcNow() + wait);
                    Count(method, "rate_limited");
                    BotTelemetry.RateLimitWaits.Record(wait.TotalSeconds, BotTelemetry.Tag("service", "slack"), BotTelemetry.Tag("method", method));
                }
                else if (!answer.IsSuccessStatusCode)
                {
                    Count(method, "error");
                }

                return answer;
            },
            cancellationToken);

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            throw new SlackApiException(method, "ratelimited", RetryAfter(response));
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Slack {method}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        }

        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), default, cancellationToken);
        var root = doc.RootElement.Clone();
        if (!root.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
        {
            Count(method, "api_error");
            throw new SlackApiException(method, root.TryGetProperty("error", out var error) ? error.GetString() ?? "unknown_error" : "unknown_error");
        }

        Count(method, "ok");
        return root;
    }

    /// <summary>One call (one HTTP request) to Slack, by method and outcome: ok, api_error (<c>ok: false</c>), rate_limited, error.</summary>
    private static void Count(string method, string outcome) =>
        BotTelemetry.Calls.Add(1, BotTelemetry.Tag("service", "slack"), BotTelemetry.Tag("method", method), BotTelemetry.Tag("outcome", outcome));
}
