using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Bot.Tests.Shared;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>
/// Two bot processes on one real PostgreSQL, as two replicas behind a load balancer: a burst of concurrent webhooks
/// split between them, one replica killed (SIGKILL) in the middle of it, its share resent to the other as a Service
/// would. Every alert lands in exactly one incident per group, and every chat message is posted exactly once.
/// </summary>
public sealed class ReplicaEndToEndTests
{
    private const string Token = "replica-token-0123456789";
    private const int Groups = 30;
    private const int WebhooksPerGroup = 6;

    [Fact]
    public async Task TwoReplicas_ABurstAndAKilledReplica_OneIncidentPerGroup_EveryAlert_EveryMessageOnce()
    {
        var (connectionString, shared, settings) = Replicas("--Outbox:JobTimeout=00:00:02"); // a dead replica's jobs are taken over 4 s (two timeouts) after its claim
        await using var a = await BotProcess.StartAsync(settings);
        await using var b = await BotProcess.StartAsync(settings);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Webhooks of each group carry the group's first alert again and one new alert each, as Alertmanager's
        // group_interval updates do; half go to each replica. Three waves: both replicas up; replica a killed while the
        // second wave is in flight; a dead for the third. What a cannot answer is resent to b, as a Service would.
        var resent = 0;
        var statuses = new ConcurrentBag<HttpStatusCode>();
        async Task SendAsync(int i)
        {
            var body = Webhook(i % Groups, i / Groups);
            var first = i % 2 == 0 ? a : b;
            HttpStatusCode status;
            try
            {
                status = (await PostAsync(http, first.Address, body)).StatusCode;
            }
            catch (HttpRequestException) when (first == a)
            {
                status = HttpStatusCode.ServiceUnavailable;
            }

            if (status != HttpStatusCode.OK && first == a)
            {
                Interlocked.Increment(ref resent);
                status = (await PostAsync(http, b.Address, body)).StatusCode;
            }

            statuses.Add(status);
        }

        var wave = Groups * WebhooksPerGroup / 3;
        await Task.WhenAll(Enumerable.Range(0, wave).Select(SendAsync));
        await Task.WhenAll(Enumerable.Range(wave, wave).Select(SendAsync).Append(a.KillAsync()));
        await Task.WhenAll(Enumerable.Range(2 * wave, wave).Select(SendAsync));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(resent >= wave / 2, "the third wave's webhooks to the dead replica should have been resent");
        var incidents = await BotServer.EventuallyAsync(
            async () => await GetAsync(http, b.Address, "api/incidents?limit=500"),
            list => list.GetArrayLength() == Groups,
            TimeSpan.FromSeconds(20),
            $"{Groups} incidents");
        foreach (var incident in incidents.EnumerateArray())
        {
            var details = await GetAsync(http, b.Address, $"api/incidents/{incident.GetProperty("number").GetInt64()}");
            Assert.Equal(1 + WebhooksPerGroup - 1, details.GetProperty("alerts").GetArrayLength());
        }

        // Every incident is announced once, and no chat call is made twice: not by the two replicas, nor by the survivor
        // redoing the killed replica's claimed jobs after their lease.
        var chat = Path.Combine(shared, "chat");
        await AnnouncementsAsync(chat, TimeSpan.FromSeconds(30));
        await OutboxProbe.WaitForQuietPostgresAsync(connectionString); // the dead replica's claims have lapsed and been redone
        AssertNoMessageTwice(chat);
        Assert.Equal(Groups, File.ReadLines(Path.Combine(chat, "incidents.jsonl")).Count());
        Assert.Equal(Groups, File.ReadLines(Path.Combine(chat, "channels.jsonl")).Count());
        PostgresServer.Shared.DropSchema(connectionString);
    }

    [Fact]
    public async Task SigtermDuringABurst_TheReplicaExitsCleanly_AndEveryMessageIsPostedOnce()
    {
        var (connectionString, shared, settings) = Replicas();
        await using var a = await BotProcess.StartAsync(settings);
        await using var b = await BotProcess.StartAsync(settings);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Every webhook is answered (stored) by a; then a is told to stop while its outbox is busy with their messages.
        var answers = await Task.WhenAll(Enumerable.Range(0, Groups).Select(g => PostAsync(http, a.Address, Webhook(g, 0))));
        Assert.All(answers, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var exit = await a.TerminateAsync(TimeSpan.FromSeconds(40)); // within the Deployment's 45 s grace period
        Assert.Equal(0, exit);

        // What a had not done, b does at once (handed back, no lease to wait out); nothing is done twice.
        var chat = Path.Combine(shared, "chat");
        await AnnouncementsAsync(chat, TimeSpan.FromSeconds(20));
        AssertNoMessageTwice(chat);
        Assert.Equal(Groups, File.ReadLines(Path.Combine(chat, "incidents.jsonl")).Count());
        PostgresServer.Shared.DropSchema(connectionString);
    }

    /// <summary>
    /// A replica starts one writer with up to two CPUs and two with more, unless <c>Storage:Writers</c> says how many: the
    /// runtime's count of CPUs set as a CPU limit sets it (DOTNET_PROCESSOR_COUNT), and the writers are counted as the
    /// kernel sees the process's threads.
    /// </summary>
    [Theory]
    [InlineData("2", null, 1)]
    [InlineData("3", null, 2)]
    [InlineData("1", "3", 3)]
    public async Task AReplica_StartsOneWriter_TwoWithMoreThanTwoCpus_UnlessToldHowMany(string cpus, string? writers, int expected)
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        string[] settings = ["--Storage:Provider=Postgres", $"--Storage:ConnectionString={connectionString}", .. writers is null ? Array.Empty<string>() : [$"--Storage:Writers={writers}"]];
        await using (var bot = await BotProcess.StartWithEnvironmentAsync(new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = cpus }, "localhost", settings))
        {
            // Waits until the kernel shows the expected writers, for 10 s at most: once, under a loaded CI run, none showed
            // yet when the replica was ready (a thread's name may reach the kernel after the thread started).
            int Writers() => bot.ThreadNames.Count(n => n.StartsWith("postgres-writer", StringComparison.Ordinal));
            await Eventually.HoldsAsync(() => Task.FromResult(Writers() >= expected), $"{expected} writer threads");
            Assert.Equal(expected, Writers());
        }

        PostgresServer.Shared.DropSchema(connectionString);
    }

    /// <summary>Settings for replicas sharing a new schema and one local chat and repository folder.</summary>
    private static (string ConnectionString, string Shared, string[] Settings) Replicas(params string[] more)
    {
        var connectionString = PostgresServer.Shared.CreateSchema();
        var shared = Path.Combine(Path.GetTempPath(), "bot-replicas", Guid.NewGuid().ToString("n"));
        return (connectionString, shared,
        [
            "--Storage:Provider=Postgres",
            $"--Storage:ConnectionString={connectionString}",
            $"--LocalChat:Directory={Path.Combine(shared, "chat")}",
            $"--GitHub:LocalDirectory={Path.Combine(shared, "repo")}",
            $"--Webhooks:Sources:alertmanager:Token={Token}",
            "--Outbox:PollInterval=00:00:00.200",
            .. more,
        ]);
    }

    /// <summary>Waits until every group's incident is announced in the shared local chat.</summary>
    private static Task<int> AnnouncementsAsync(string chat, TimeSpan timeout)
    {
        var announcements = Path.Combine(chat, "incidents.jsonl");
        return BotServer.EventuallyAsync(
            () => Task.FromResult(File.Exists(announcements) ? File.ReadLines(announcements).Count() : 0), count => count >= Groups, timeout, $"{Groups} announcements");
    }

    private static void AssertNoMessageTwice(string chat)
    {
        foreach (var file in Directory.EnumerateFiles(chat, "*.jsonl").Where(f => Path.GetFileName(f) != "channels.jsonl"))
        {
            var keys = File.ReadLines(file).Select(l => JsonDocument.Parse(l).RootElement)
                .Where(r => !r.TryGetProperty("edited", out var e) || e.ValueKind != JsonValueKind.True)
                .Select(r => r.GetProperty("key").GetString()).ToList();
            Assert.True(keys.Count == keys.Distinct().Count(), $"{Path.GetFileName(file)} has a message posted twice: {string.Join(", ", keys.GroupBy(k => k).Where(g => g.Count() > 1).Select(g => g.Key))}");
        }
    }

    private static string Webhook(int group, int n)
    {
        var name = $"Storm{group:00}";
        string Alert(int k) => $$"""
            {"status": "firing", "labels": {"alertname": "{{name}}", "instance": "host-{{k}}", "severity": "critical"},
             "annotations": {"summary": "{{name}} on host-{{k}}"}, "startsAt": "2026-11-25T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "http://prometheus/graph", "fingerprint": "{{group:x4}}{{k:x4}}"}
            """;
        var alerts = n == 0 ? Alert(0) : $"{Alert(0)}, {Alert(n)}";
        return $$"""
            {"receiver": "bot", "status": "firing", "alerts": [{{alerts}}], "groupLabels": {"alertname": "{{name}}"},
             "commonLabels": {"alertname": "{{name}}"}, "commonAnnotations": {}, "externalURL": "http://alertmanager", "version": "4",
             "groupKey": "{}:{alertname=\"{{name}}\"}", "truncatedAlerts": 0}
            """;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, Uri bot, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(bot, "webhooks/alertmanager"))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", Token);
        return http.SendAsync(request);
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, Uri bot, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri(bot, path))).RootElement.Clone();
}
