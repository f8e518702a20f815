using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bot.Tests.Shared;

/// <summary>
/// The bot as its own process (the Bot.dll built beside the test or benchmark), on a free loopback port: what a
/// deployment runs, so that it can be killed for real.
/// </summary>
public sealed class BotProcess : IAsyncDisposable
{
    private readonly Process _process;

    private BotProcess(Process process, Uri address, string folder, TimeSpan startToReady)
    {
        _process = process;
        Address = address;
        Folder = folder;
        StartToReady = startToReady;
    }

    public Uri Address { get; }

    /// <summary>The CPU time the process has used so far (user and system, /proc/PID/stat).</summary>
    public TimeSpan CpuTime => ProcessStat.CpuTime(_process.Id);

    /// <summary>The names of the process's threads as the kernel knows them (<c>/proc/&lt;pid&gt;/task/*/comm</c>: 15 characters at most).</summary>
    public IReadOnlyList<string> ThreadNames =>
        [.. Directory.EnumerateDirectories($"/proc/{_process.Id}/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))];

    public string Folder { get; }

    public TimeSpan StartToReady { get; }

    /// <summary>Peak resident memory so far (VmHWM), in MiB.</summary>
    public double PeakMemoryMiB => ReadStatus("VmHWM:") / 1024.0;

    public double MemoryMiB => ReadStatus("VmRSS:") / 1024.0;

    /// <summary>The bot built beside the test or benchmark.</summary>
    public static string BuiltBot => Path.Combine(AppContext.BaseDirectory, "Bot.dll");

    /// <summary>Starts the bot in a new temporary working directory.</summary>
    /// <param name="settings">Command-line settings, <c>--Key=value</c>.</param>
    public static Task<BotProcess> StartAsync(params string[] settings) =>
        StartInAsync(Path.Combine(Path.GetTempPath(), "bot-process", Guid.NewGuid().ToString("n")), settings);

    /// <summary>Starts the <c>Bot.dll</c> at <paramref name="botDll"/> (a published one, say) in a new temporary working directory.</summary>
    public static Task<BotProcess> StartBotAsync(string botDll, params string[] settings) =>
        StartCoreAsync(botDll, Path.Combine(Path.GetTempPath(), "bot-process", Guid.NewGuid().ToString("n")), settings);

    /// <summary>
    /// Starts the bot in <paramref name="folder"/> (its working directory: data/ goes there). A name of its own, so that
    /// a single setting passed to <see cref="StartAsync"/> is never taken for a folder.
    /// </summary>
    public static Task<BotProcess> StartInAsync(string folder, params string[] settings) => StartCoreAsync(BuiltBot, folder, settings);

    /// <summary>
    /// Starts the bot with these environment variables (a ConfigMap's, say), probing readiness with <paramref name="host"/>
    /// as the Host header (a name of its AllowedHosts).
    /// </summary>
    public static Task<BotProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, string host, params string[] settings) =>
        StartCoreAsync(BuiltBot, Path.Combine(Path.GetTempPath(), "bot-process", Guid.NewGuid().ToString("n")), settings, environment, host);

    /// <summary>
    /// Starts the bot inside a control group (which the caller made, with a CPU quota say, and on the CPUs it names): the
    /// process is in it from its first instruction, so the runtime sizes itself to the group's CPUs as it would in a
    /// container with a CPU limit (or a cpuset).
    /// </summary>
    public static Task<BotProcess> StartInControlGroupAsync(ControlGroup group, params string[] settings) =>
        StartCoreAsync(BuiltBot, Path.Combine(Path.GetTempPath(), "bot-process", Guid.NewGuid().ToString("n")), settings, group: group);

    private static async Task<BotProcess> StartCoreAsync(
        string botDll, string folder, string[] settings, IReadOnlyDictionary<string, string>? environment = null, string? host = null,
        ControlGroup? group = null)
    {
        Directory.CreateDirectory(folder);
        var port = FreePort();
        var start = ProcessStat.StartInfo("dotnet", group);
        start.WorkingDirectory = folder;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(botDll);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        start.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var s in settings)
        {
            start.ArgumentList.Add(s);
        }

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var watch = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }

                Console.Error.WriteLine($"bot: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                try
                {
                    using var ready = new HttpRequestMessage(HttpMethod.Get, new Uri(address, "readyz"));
                    ready.Headers.Host = host;
                    if ((await probe.SendAsync(ready)).StatusCode == HttpStatusCode.OK)
                    {
                        return new BotProcess(process, address, folder, watch.Elapsed);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet, or too busy starting to answer within the probe's second
                }

                await Task.Delay(5);
            }

            lock (errors)
            {
                throw new TimeoutException(
                    $"The bot {(process.HasExited ? $"exited ({process.ExitCode})" : "did not become ready in 30 s")}. It wrote: {errors}");
            }
        }
        catch
        {
            // Never leave a bot running behind a failed start.
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            throw;
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash or an evicted pod would end it: nothing is handed back.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Asks the process to stop (SIGTERM), as Kubernetes does, and waits for it to exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan limit)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(limit);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private long ReadStatus(string field) =>
        File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith(field, StringComparison.Ordinal))
            .Select(l => long.Parse(l[field.Length..].Trim().Split(' ')[0])).FirstOrDefault();

    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
