using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bot.Tests.Shared;

/// <summary>
/// A real Prometheus Alertmanager (Debian package prometheus-alertmanager) on 127.0.0.1, gossip off, with a
/// webhook receiver pointed at the bot (or none: the benchmarks' peer). .ci/run installs it; a machine without it fails
/// the test, never skips.
/// </summary>
public sealed class AlertmanagerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _output = new();

    private AlertmanagerProcess(Process process, string folder, Uri address)
    {
        _process = process;
        _folder = folder;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    /// <summary>The CPU time the process has used so far (user and system, /proc/PID/stat).</summary>
    public TimeSpan CpuTime => ProcessStat.CpuTime(_process.Id);

    /// <summary>Peak resident memory so far (VmHWM), in MiB.</summary>
    public double PeakMemoryMiB =>
        File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => long.Parse(l["VmHWM:".Length..].Trim().Split(' ')[0])).FirstOrDefault() / 1024.0;

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Binary =>
        Environment.GetEnvironmentVariable("ALERTMANAGER_BIN") is { Length: > 0 } bin ? bin
        : new[] { "/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager", "/usr/bin/alertmanager" }.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException(
              "Prometheus Alertmanager is not installed: run 'apt-get install prometheus-alertmanager' (.ci/run does) or set ALERTMANAGER_BIN.");

    /// <param name="repeatInterval">How often a group that still fires is sent again (Alertmanager's <c>repeat_interval</c>).</param>
    public static Task<AlertmanagerProcess> StartAsync(Uri webhookUrl, string bearerToken, string repeatInterval = "1h") => StartWithConfigAsync($"""
            route:
              receiver: bot
              group_by: ['alertname', 'service']
              group_wait: 1s
              group_interval: 2s
              repeat_interval: {repeatInterval}
            receivers:
              - name: bot
                webhook_configs:
                  - url: {webhookUrl}
                    send_resolved: true
                    http_config:
                      authorization:
                        type: Bearer
                        credentials: {bearerToken}
            """);

    /// <summary>
    /// An Alertmanager that groups as the bot's storm does and notifies nobody: the peer of the benchmarks. With
    /// <paramref name="group"/>, it runs in that control group (a CPU quota of its own, as the bot's replica has),
    /// with Go's scheduler given <paramref name="maxProcs"/> threads, as a container's quota is usually matched
    /// (Alertmanager 0.25's Go does not read the quota itself; .NET does).
    /// </summary>
    public static Task<AlertmanagerProcess> StartSilentAsync(ControlGroup? group = null, int? maxProcs = null) => StartWithConfigAsync("""
            route:
              receiver: nobody
              group_by: ['alertname', 'service']
            receivers:
              - name: nobody
            """, group, maxProcs);

    private static async Task<AlertmanagerProcess> StartWithConfigAsync(string yaml, ControlGroup? group = null, int? maxProcs = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-alertmanager", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "alertmanager.yml");
        await File.WriteAllTextAsync(config, yaml);
        var port = FreePort();
        var start = ProcessStat.StartInfo(Binary, group);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        if (maxProcs is not null)
        {
            start.Environment["GOMAXPROCS"] = maxProcs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var argument in new[] { $"--config.file={config}", $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", $"--storage.path={Path.Combine(folder, "data")}" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var am = new AlertmanagerProcess(process, folder, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => am.Append(e.Data);
        process.ErrorDataReceived += (_, e) => am.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Alertmanager exited with {process.ExitCode}: {am.Output}");
            }

            try
            {
                if ((await am.Client.GetAsync("-/ready")).StatusCode == HttpStatusCode.OK)
                {
                    return am;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await am.DisposeAsync();
        throw new TimeoutException($"Alertmanager did not become ready: {am.Output}");
    }

    /// <summary>Posts alerts to Alertmanager's API v2, as Prometheus would.</summary>
    private int _disposed;

    public async Task PostAlertsAsync(string json)
    {
        var response = await Client.PostAsync("api/v2/alerts", new StringContent(json, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // a benchmark ends it early, then its scope again
        }

        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
