using System.Diagnostics;
using System.Net;

namespace Bot.Acceptance.Tests.Webhooks;

/// <summary>
/// /readyz tells whether the bot can take alerts: a store that still reads but cannot write is not ready. The database
/// lives on a real file system that really fills up (a small tmpfs mounted for the test).
/// </summary>
public sealed partial class ReadinessTests
{
    [Fact]
    public async Task DiskFull_IsNotReady_AndWebhooksGet503_UntilThereIsSpaceAgain()
    {
        await using var disk = await SmallDisk.MountAsync(megabytes: 16);
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:SqlitePath"] = Path.Combine(disk.Path, "bot.db"),
            ["Storage:FailedCommitHold"] = "00:00:01",
        });
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/readyz")).StatusCode);

        disk.Fill();

        // SQLite reuses the space its log already has, so the first webhooks may still be stored: they are answered 200
        // and they count. Then the log needs room that is not there.
        var accepted = 0;
        HttpResponseMessage refused;
        while ((refused = await bot.PostWebhookAsync("alertmanager", Webhook(accepted))).StatusCode == HttpStatusCode.OK)
        {
            Assert.True(++accepted < 2_000, "the disk never filled up");
        }

        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, await refused.Content.ReadAsStringAsync());
        var ready = await bot.Client.GetAsync("/readyz");
        Assert.True(ready.StatusCode == HttpStatusCode.ServiceUnavailable, $"accepted {accepted}; {await refused.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/healthz")).StatusCode); // alive: do not restart it
        Assert.Matches(CannotWriteCounted(), await bot.Client.GetStringAsync("/metrics")); // what the operator's alert rule sees

        disk.Free();

        await BotServer.EventuallyAsync(
            async () => (await bot.Client.GetAsync("/readyz")).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(10), "ready again");
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("alertmanager", Webhook(accepted))).StatusCode); // the sender's retry
        var incidents = await bot.GetJsonAsync("/api/incidents");
        Assert.Equal(1, incidents.GetArrayLength());
        Assert.Equal(AlertsPerWebhook * (accepted + 1), incidents[0].GetProperty("alertCount").GetInt32());
    }

    private const int AlertsPerWebhook = 50;

    [System.Text.RegularExpressions.GeneratedRegex(@"incidentbot_store_commit_failures_total\{[^}]*reason=""cannot_write""[^}]*\} [1-9]")]
    private static partial System.Text.RegularExpressions.Regex CannotWriteCounted();

    /// <summary>An Alertmanager webhook of new alerts, with long descriptions, in one group.</summary>
    private static string Webhook(int n) =>
        "{\"version\":\"4\",\"groupKey\":\"{}:{alertname=\\\"DiskFull\\\"}\",\"status\":\"firing\",\"receiver\":\"bot\"," +
        "\"groupLabels\":{\"alertname\":\"DiskFull\"},\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"http://am\",\"alerts\":[" +
        string.Join(",", Enumerable.Range(0, AlertsPerWebhook).Select(i =>
            $"{{\"status\":\"firing\",\"labels\":{{\"alertname\":\"DiskFull\",\"instance\":\"w{n}-a{i}\"}}," +
            $"\"annotations\":{{\"description\":\"{new string('x', 1000)}\"}},\"startsAt\":\"2026-12-02T10:00:00Z\"," +
            $"\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"http://prom\",\"fingerprint\":\"w{n}a{i}\"}}")) + "]}";

    /// <summary>A tmpfs of a few megabytes, and a file that takes all its free space.</summary>
    private sealed class SmallDisk : IAsyncDisposable
    {
        private SmallDisk(string path) => Path = path;

        public string Path { get; }

        private string Filler => System.IO.Path.Combine(Path, "filler");

        public static async Task<SmallDisk> MountAsync(int megabytes)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bot-small-disk-" + Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(path);
            await RunAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}M", "tmpfs", path);
            return new SmallDisk(path);
        }

        public void Fill()
        {
            using var file = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            var block = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    file.Write(block);
                    file.Flush();
                }
            }
            catch (IOException)
            {
                // no space left on device: full
            }

            // What is left is less than a block: fill it byte by byte.
            try
            {
                while (true)
                {
                    file.WriteByte(0);
                    file.Flush();
                }
            }
            catch (IOException)
            {
            }
        }

        public void Free() => File.Delete(Filler);

        public async ValueTask DisposeAsync()
        {
            await RunAsync("umount", "-l", Path);
            Directory.Delete(Path, recursive: true);
        }

        private static async Task RunAsync(string file, params string[] args)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var errors = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed (the test mounts a tmpfs and needs root): {errors}");
        }
    }
}
