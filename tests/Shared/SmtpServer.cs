using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bot.Tests.Shared;

/// <summary>
/// A real SMTP server on 127.0.0.1: Python's aiosmtpd (Debian's python3-aiosmtpd; .ci/run installs it), delivering
/// every message it accepts into a Maildir that the test reads.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private SmtpServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The messages delivered so far, raw (RFC 5322), oldest first.</summary>
    public IReadOnlyList<string> Messages =>
        Directory.Exists(Path.Combine(_folder, "mail", "new"))
            ? Directory.GetFiles(Path.Combine(_folder, "mail", "new")).Select(f => (File: f, At: File.GetLastWriteTimeUtc(f))).OrderBy(f => f.At).Select(f => File.ReadAllText(f.File)).ToList()
            : [];

    public static async Task<SmtpServer> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-smtp", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var port = BotProcess.FreePort();
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(folder, "mail")])
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new SmtpServer(process, folder, port);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"aiosmtpd exited (is Debian's python3-aiosmtpd installed?): {errors}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
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
}
