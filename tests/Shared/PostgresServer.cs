using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Bot.Tests.Shared;

/// <summary>
/// A real PostgreSQL server for the tests: its own cluster in a temporary folder (initdb), on a free port of 127.0.0.1,
/// started once per test process and stopped when the process exits. With <c>BOT_TEST_POSTGRES</c> set (a connection
/// string whose role may create schemas), that server is used instead. Debian's <c>postgresql</c> package provides the
/// binaries (.ci/run installs it); a machine without them fails the tests that need it, never skips them.
/// Each user of the server gets a schema of its own (<see cref="CreateSchema"/>), so tests never see each other's rows.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Instance = new(() => Start(durable: false), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Func<Process>? _launch;
    private readonly Func<string>? _output;
    private Process? _process;

    private PostgresServer(string connectionString, Func<Process>? launch, Func<string>? output)
    {
        ConnectionString = connectionString;
        _launch = launch;
        _output = output;
        _process = launch?.Invoke();
    }

    public static PostgresServer Shared => Instance.Value;

    /// <summary>The server's admin connection string (database <c>postgres</c>, no schema chosen).</summary>
    public string ConnectionString { get; }

    /// <summary>The server's first process (the postmaster, whose children are the backends), when the tests started it.</summary>
    public int? ProcessId => _process?.Id;

    /// <summary>Creates an empty schema and returns a connection string whose search path is that schema alone.</summary>
    public string CreateSchema()
    {
        var schema = "t_" + Guid.NewGuid().ToString("n");
        Execute($"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema, ApplicationName = "bot-tests" }.ConnectionString;
    }

    /// <summary>Drops the schema of a connection string made by <see cref="CreateSchema"/>, and its rows.</summary>
    public void DropSchema(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        Execute($"DROP SCHEMA IF EXISTS {new NpgsqlConnectionStringBuilder(connectionString).SearchPath} CASCADE");
    }

    public void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// A server of its own. <paramref name="durable"/>: as in production, each commit reaches the disk (for benchmarks);
    /// otherwise fsync is off, as tests need no crash safety from the machine. <paramref name="statements"/> (or
    /// <c>PG_STATEMENTS=1</c>): <c>pg_stat_statements</c> loaded, to count the statements the server received.
    /// <paramref name="locale"/>: the cluster's locale (initdb's <c>--locale</c>, e.g. <c>en_US.UTF-8</c>, which the machine
    /// must have) or, as <c>icu:en-US</c>, an ICU locale; otherwise the environment's.
    /// </summary>
    public static PostgresServer Start(bool durable, bool statements = false, string? locale = null)
    {
        if (Environment.GetEnvironmentVariable("BOT_TEST_POSTGRES") is { Length: > 0 } given)
        {
            var external = new PostgresServer(given, null, null);
            WaitUntilReady(external.ConnectionString, TimeSpan.FromSeconds(10), () => "");
            return external;
        }

        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException(
                "PostgreSQL is not installed: run 'apt-get install postgresql' (.ci/run does) or set BOT_TEST_POSTGRES to a server's connection string.");
        }

        SweepLeftovers(Path.Combine(Path.GetTempPath(), "bot-postgres"));
        var folder = Path.Combine(Path.GetTempPath(), "bot-postgres", Guid.NewGuid().ToString("n"));
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);

        // PostgreSQL will not run as root: as root, run it as the package's postgres user.
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", ["-R", "postgres:postgres", folder]);
        }

        Run(asRoot ? "setpriv" : Path.Combine(bin, "initdb"), [.. AsPostgres(asRoot, Path.Combine(bin, "initdb")), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions",
            .. locale switch
            {
                null => Array.Empty<string>(),
                _ when locale.StartsWith("icu:", StringComparison.Ordinal) => ["--locale-provider=icu", $"--icu-locale={locale[4..]}"],
                _ => [$"--locale={locale}"],
            }]);
        var port = FreePort();
        var start = new ProcessStartInfo(asRoot ? "setpriv" : Path.Combine(bin, "postgres"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in (string[])[
            .. AsPostgres(asRoot, Path.Combine(bin, "postgres")), "-D", data, "-p", port.ToString(), "-k", folder,
            "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300", "-c", "shared_buffers=128MB",
            .. (durable ? Array.Empty<string>() : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
            // For a benchmark that wants to see where the database's time goes: PG_STATEMENTS=1 loads pg_stat_statements.
            .. (statements || Environment.GetEnvironmentVariable("PG_STATEMENTS") == "1" ? ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track_planning=on"] : Array.Empty<string>()),
            // For a benchmark of the server's own settings: PG_SETTINGS="max_wal_size=8GB checkpoint_timeout=30min".
            .. (Environment.GetEnvironmentVariable("PG_SETTINGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).SelectMany(setting => new[] { "-c", setting })])
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        Process Launch()
        {
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        string Output()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = "postgres",
            Pooling = true,
            MaxPoolSize = 50,
        }.ConnectionString;
        var server = new PostgresServer(connectionString, Launch, Output);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop(folder);
        WaitUntilReady(connectionString, TimeSpan.FromSeconds(30), Output);
        return server;
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash or a failover ends it: every connection breaks.</summary>
    public void Crash()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    /// <summary>Starts the server again after <see cref="Crash"/>, on the same port and data (it recovers its log).</summary>
    public void StartAgain()
    {
        _process = (_launch ?? throw new InvalidOperationException("This server was not started by the tests."))();
        WaitUntilReady(ConnectionString, TimeSpan.FromSeconds(30), _output!);
    }

    private static string[] AsPostgres(bool asRoot, string program) =>
        asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", program] : [];

    private static void WaitUntilReady(string connectionString, TimeSpan limit, Func<string> output)
    {
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                // A connection of its own and a query: a pooled connection opens without asking the server anything.
                using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
                connection.Open();
                using var probe = new NpgsqlCommand("SELECT 1", connection);
                probe.ExecuteScalar();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && DateTime.UtcNow < until)
            {
                Thread.Sleep(100);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"PostgreSQL did not accept connections: {e.Message}\n{output()}", e);
            }
        }
    }

    /// <summary>
    /// Deletes the data of servers that no longer run: a test host ended by the test runner runs no exit handler, and a
    /// crashed server leaves its data, so without this every run left tens of MB behind (12 GB in /tmp, found). A folder
    /// goes when it is over an hour old and its postmaster.pid names no live process (a server starting now has none yet).
    /// </summary>
    private static void SweepLeftovers(string root)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(folder) > DateTime.UtcNow.AddHours(-1))
                {
                    continue;
                }

                var pidFile = Path.Combine(folder, "data", "postmaster.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && Directory.Exists($"/proc/{pid}"))
                {
                    continue;
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another test process sweeping the same folder, or a file still held: the next start tries again
            }
        }
    }

    private void Stop(string folder)
    {
        try
        {
            Crash();
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void Run(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}{stdout.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
