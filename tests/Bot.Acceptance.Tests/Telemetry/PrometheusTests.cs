using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bot.Security;
using Bot.Tests.Shared;

namespace Bot.Acceptance.Tests.Telemetry;

/// <summary>
/// The bot's metrics as its operators see them: a real Prometheus (Debian's) scrapes the bot's process with a token of
/// the scope <c>metrics</c> after a scripted incident; the bot's own alert rules pass <c>promtool</c>, and every query
/// of the Grafana dashboard names series the bot serves and is valid PromQL.
/// </summary>
public sealed partial class PrometheusTests
{
    private const string Token = "ibot_prometheus-0123456789abcdefghijklmnopqrstuv";

    [Fact]
    public async Task APrometheusScrapingTheBot_SeesTheIncidentsWebhooksAndJobs_AndTheDashboardsQueriesAnswer()
    {
        await using var slack = await FakeSlack.StartAsync();
        slack.FailAfterDoing("chat.postMessage", 429); // one rate-limited call, waited for and tried again
        await using var bot = await BotProcess.StartAsync(
            $"--Slack:BotToken={FakeSlack.Token}", "--Slack:SigningSecret=0123456789abcdef0123456789abcdef", $"--Slack:ApiBaseUrl={slack.ApiBaseUrl}",
            "--Slack:IncidentsChannel=C0INCIDENTS",
            $"--Api:Tokens:prometheus:Hash={ApiTokenHash.Of(Token)}", "--Api:Tokens:prometheus:Scopes:0=metrics",
            "--OpenTelemetry:StatsInterval=00:00:00.500",
            "--EscalationPolicies:database:Steps:0:Targets:0=user:UBOB", "--EscalationPolicies:database:Steps:0:Wait=5m", "--Routes:Policies:0=database",
            "--Heartbeats:nightly-backup:Interval=1d");
        using var http = new HttpClient { BaseAddress = bot.Address };
        async Task<HttpStatusCode> Post(string source, string json) =>
            (await http.PostAsync($"/webhooks/{source}", new StringContent(json, System.Text.Encoding.UTF8, "application/json"))).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Post("generic", """{"title":"Checkout down","severity":"critical","fingerprint":"a","group":"checkout"}"""));
        Assert.Equal(HttpStatusCode.OK, await Post("generic", """{"title":"Checkout slow","severity":"critical","fingerprint":"b","group":"checkout"}"""));
        Assert.Equal(HttpStatusCode.OK, await Post("generic", """{"title":"Checkout slow","severity":"critical","fingerprint":"b","group":"checkout"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("generic", """{"severity":"critical"}"""));
        Assert.Equal(HttpStatusCode.NotFound, await Post("no-such-source", "{}"));

        await using var prometheus = await PrometheusProcess.StartAsync(bot.Address, Token);

        await prometheus.WaitForAsync("""sum(incidentbot_webhooks_total{job="incident-bot",source="generic",code="200"})""", 3);
        await prometheus.WaitForAsync("""sum(incidentbot_webhooks_total{source="generic",code="400"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_webhooks_total{source="unknown",code="404"})""", 1); // no label per made-up source
        await prometheus.WaitForAsync("""sum(incidentbot_alerts_total{change="new"})""", 2);
        await prometheus.WaitForAsync("""sum(incidentbot_alerts_total{change="unchanged"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_incidents{severity="sev1",status="triggered"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_outbox_job_duration_seconds_count{kind="chat.open_channel",outcome="done"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_pages_total{policy="database",channel="chat"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_calls_total{service="slack",method="chat.postMessage",outcome="rate_limited"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_calls_rate_limit_wait_seconds_count{service="slack",method="chat.postMessage"})""", 1);
        await prometheus.WaitForAsync("""sum(incidentbot_calls_total{service="slack",method="conversations.create",outcome="ok"})""", 1);
        await prometheus.WaitForAsync("""max(incidentbot_heartbeat_missed{heartbeat="nightly-backup"})""", 0);
        await prometheus.WaitForAsync("""count(incidentbot_outbox_oldest_due_age_seconds{lane=~"default|phone|chat_paging|timers|email|webhooks"})""", 6); // each lane's, 0 with none due
        await prometheus.WaitForAsync("""count(incidentbot_outbox_oldest_undone_age_seconds{lane=~"default|phone|chat_paging|timers|email|webhooks"})""", 6);
        await prometheus.WaitForAsync("""sum(incidentbot_outbox_jobs{kind="escalation.step",lane="timers"})""", 1); // the escalation's next step, waiting
        await prometheus.WaitForAsync("""sum(incidentbot_store_log_flush_duration_seconds_count) >= bool 3""", 1); // SQLite's log flushed before each 200
        await prometheus.WaitForAsync("""sum(incidentbot_store_checkpoint_duration_seconds_count{by="background"}) >= bool 1""", 1); // SQLite's checkpoints, timed
        await prometheus.WaitForAsync("""max(incidentbot_store_alert_keys_held)""", 2); // the two alerts' keys, not yet merged (a generation is 32,768)
        await prometheus.WaitForAsync("""sum(incidentbot_store_alert_keys_merge_failures_total)""", 0); // served at 0 from the start
        await prometheus.WaitForAsync("""up{job="incident-bot"}""", 1);
        // ASP.NET Core's and Kestrel's own: the webhooks' answer times by route and code (the bot's side of a sender's
        // latency), and the connections open (at least the scrape's own).
        await prometheus.WaitForAsync("""sum(http_server_request_duration_seconds_count{http_route="/webhooks/{source}",http_response_status_code="200"})""", 3);
        await prometheus.WaitForAsync("""sum(http_server_request_duration_seconds_count{http_route="/webhooks/{source}",http_response_status_code="400"})""", 1);
        await prometheus.WaitForAsync("""max(kestrel_active_connections) >= bool 1""", 1);

        // The dashboard: every query is valid PromQL, and every series it names is on the bot's /metrics.
        var served = await ServedSeriesAsync(http);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepoFile.Path("manifests/grafana/incident-bot-dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.NotEmpty(queries);
        foreach (var query in queries)
        {
            await prometheus.QueryAsync(query); // fails on a PromQL error
            foreach (var name in SeriesName().Matches(query).Select(m => m.Value).Where(n => n != "up"))
            {
                Assert.True(served.Contains(name), $"The dashboard's query '{query}' names {name}, which the bot does not serve.");
            }
        }
    }

    [Fact]
    public async Task TheBotsAlertRules_PassPromtool_CheckAndUnitTests()
    {
        var folder = RepoFile.Path("manifests/prometheus");
        var (check, checkOutput) = await RunAsync(folder, "promtool", "check", "rules", "incident-bot-rules.yml");
        Assert.True(check == 0, checkOutput);
        var (test, testOutput) = await RunAsync(folder, "promtool", "test", "rules", "incident-bot-rules.test.yml");
        Assert.True(test == 0, testOutput);

        // The rules name only series the bot serves (their histograms' and counters' own suffixes included).
        var rules = File.ReadAllText(Path.Combine(folder, "incident-bot-rules.yml"));
        var known = new[] { "incidentbot_webhooks_total", "incidentbot_outbox_oldest_due_age_seconds", "incidentbot_outbox_oldest_undone_age_seconds", "incidentbot_outbox_job_duration_seconds_count",
            "incidentbot_calls_total", "incidentbot_outbox_job_lateness_seconds_bucket", "incidentbot_store_commit_failures_total", "incidentbot_store_alert_keys_merge_failures_total", "incidentbot_store_alert_keys_held", "incidentbot_incidents", "incidentbot_outbox_jobs", "incidentbot_heartbeat_missed",
            "http_server_request_duration_seconds_bucket" };
        foreach (var name in SeriesName().Matches(rules).Select(m => m.Value).Where(n => n is not "up").Distinct())
        {
            Assert.Contains(name, known);
        }
    }

    /// <summary>The names of the series on the bot's /metrics (loopback without tokens would do; the token is the scraper's).</summary>
    private static async Task<HashSet<string>> ServedSeriesAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunAsync(string folder, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + errors);
    }

    [GeneratedRegex(@"\b(incidentbot_[a-z_]+|dotnet_[a-z_]+|http_server_[a-z_]+|kestrel_[a-z_]+|up)\b")]
    private static partial Regex SeriesName();

    /// <summary>Prometheus on loopback, scraping one target every second with a bearer token from a file.</summary>
    private sealed class PrometheusProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _folder;
        private readonly HttpClient _http;

        private PrometheusProcess(Process process, string folder, Uri address)
        {
            _process = process;
            _folder = folder;
            _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        }

        public static async Task<PrometheusProcess> StartAsync(Uri target, string token)
        {
            var folder = Path.Combine(Path.GetTempPath(), "bot-prometheus", Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "token"), token);
            File.WriteAllText(Path.Combine(folder, "prometheus.yml"), $"""
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: incident-bot
                    authorization:
                      type: Bearer
                      credentials_file: {Path.Combine(folder, "token")}
                    static_configs:
                      - targets: ["{target.Authority}"]
                """);
            var port = BotProcess.FreePort();
            var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
            foreach (var arg in (string[])[$"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var prometheus = new PrometheusProcess(process, folder, new Uri($"http://127.0.0.1:{port}"));
            await BotServer.EventuallyAsync(
                async () =>
                {
                    Assert.False(process.HasExited, "prometheus exited (is the Debian package 'prometheus' installed?)");
                    try
                    {
                        return (await prometheus._http.GetAsync("/-/ready")).StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return HttpStatusCode.ServiceUnavailable;
                    }
                },
                s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                "Prometheus ready");
            return prometheus;
        }

        /// <summary>Runs an instant query; fails on a PromQL error.</summary>
        public async Task<JsonElement> QueryAsync(string query)
        {
            using var response = await _http.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(body.GetProperty("status").GetString() == "success", $"'{query}': {body}");
            return body.GetProperty("data").GetProperty("result");
        }

        /// <summary>Waits until the query's single value is <paramref name="expected"/>.</summary>
        public Task WaitForAsync(string query, double expected) => BotServer.EventuallyAsync(
            async () =>
            {
                var result = await QueryAsync(query);
                return result.GetArrayLength() == 1 ? double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
            },
            value => value == expected,
            TimeSpan.FromSeconds(30),
            $"{query} == {expected} in Prometheus");

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
