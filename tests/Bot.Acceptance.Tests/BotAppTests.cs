using Microsoft.Extensions.Configuration;

namespace Bot.Acceptance.Tests;

/// <summary>A bad setting stops the bot with one message naming the key.</summary>
public class BotAppTests
{
    [Theory]
    [InlineData("Webhooks:Sources:alertmanager:Format", "xml", "Webhooks:Sources:alertmanager:Format is 'xml'; expected one of alertmanager, grafana, generic.")]
    [InlineData("Webhooks:Sources:am:Token", "short", "Webhooks:Sources:am:Token must be at least 16 characters")]
    [InlineData("Incidents:DefaultSeverity", "SEV9", "Incidents:DefaultSeverity is 'SEV9'")]
    [InlineData("Storage:Provider", "Oracle", "Storage:Provider is 'Oracle'")]
    [InlineData("Outbox:Concurrency", "0", "Outbox:Concurrency is 0; expected 1 to 64.")]
    [InlineData("Outbox:PagingConcurrency", "65", "Outbox:PagingConcurrency is 65; expected 1 to 64.")]
    [InlineData("Outbox:LaneConcurrency:sms", "16", "Outbox:LaneConcurrency:sms names no lane; the lanes are timers, phone, email, webhooks, chat_paging, default, summaries.")]
    [InlineData("Outbox:LaneConcurrency:Phone", "0", "Outbox:LaneConcurrency:Phone is 0; expected 1 to 64.")]
    [InlineData("Outbox:PollInterval", "00:00:00.001", "Outbox:PollInterval is 00:00:00.0010000; expected 00:00:00.0100000 to 00:10:00.")]
    [InlineData("Outbox:RetryMaxDelay", "00:00:01", "Outbox:RetryMaxDelay is 00:00:01; it must not be shorter than Outbox:RetryBaseDelay (00:00:02).")]
    [InlineData("Slack:BotToken", "xoxp-user-token", "Slack:BotToken must be a bot token (xoxb-...).")]
    [InlineData("Incidents:UpdateEvery", "00:00:10", "Incidents:UpdateEvery is 00:00:10")]
    [InlineData("GitHub:PostmortemPath", "../../etc/{id}.md", "it must stay inside the repository")]
    [InlineData("GitHub:PostmortemPath", "postmortems/today.md", "it must contain {id} and end with .md")]
    [InlineData("GitHub:Repository", "acme/infra", "GitHub:Token is missing")]
    [InlineData("EscalationPolicies:db:Steps:0:Wait", "5 minutes", "EscalationPolicies:db:Steps:0:Wait '5 minutes' is not a duration")]
    [InlineData("Routes:Routes:0:Match:0", "team=~(net", "Routes:Routes:0:Match:0: 'team=~(net': the regex is not valid")]
    [InlineData("Teams:db:Rotation:TimeZone", "Mars/Olympus", "Teams:db:Rotation:TimeZone 'Mars/Olympus' is not a known time zone")]
    [InlineData("GitHub:Repository", "https://github.com/acme/infra", "GitHub:Repository is 'https://github.com/acme/infra'; it must be owner/name")]
    [InlineData("GitHub:ApiBaseUrl", "ftp://example.test/", "GitHub:ApiBaseUrl 'ftp://example.test/' must be an absolute http(s) URL")]
    [InlineData("Storage:Provider", "Postgres", "Storage:ConnectionString is required when Storage:Provider is Postgres")]
    [InlineData("Storage:ConnectionString", "Host=db;Databse=x", "Storage:ConnectionString is not a valid connection string")]
    [InlineData("Storage:ConnectionString", "Host=db;Username=bot", "Storage:ConnectionString names no Database.")]
    [InlineData("Storage:Writers", "0", "Storage:Writers is 0; expected 1 to 64.")]
    [InlineData("LocalChat:Directory", "/proc/no-such-folder", "LocalChat:Directory '/proc/no-such-folder' cannot be used: ")]
    [InlineData("Outbox:Concurrency", "abc", "Failed to convert configuration value 'abc' at 'Outbox:Concurrency' to type 'System.Int32'.")]
    [InlineData("Incidents:UpdateEvery", "ten minutes", "Failed to convert configuration value 'ten minutes' at 'Incidents:UpdateEvery' to type 'System.TimeSpan'.")]
    [InlineData("urls", "127.0.0.1:8080", "Invalid url: '127.0.0.1:8080' (from --urls or ASPNETCORE_URLS); expected addresses such as http://127.0.0.1:8080")]
    [InlineData("GitHub:LocalDirectory", "/proc/no-such-folder", "GitHub:LocalDirectory '/proc/no-such-folder' cannot be used: ")]
    [InlineData("Console:HeldPagesAfter", "00:00:00", "Console:HeldPagesAfter is 00:00:00: it must be a positive time")]
    [InlineData("Console:HeldWorkAfter", "-00:01:00", "Console:HeldWorkAfter is -00:01:00: it must be a positive time")]
    public async Task BadSetting_StopsStartWithMessageNamingTheKey(string key, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Storage:ConnectionString", StringComparison.Ordinal))
        {
            settings["Storage:Provider"] = "Postgres";
        }

        if (key.StartsWith("Webhooks:Sources:am:", StringComparison.Ordinal))
        {
            settings["Webhooks:Sources:am:Format"] = "alertmanager";
        }

        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(settings));

        var message = BotApp.StartupError(e);
        Assert.NotNull(message);
        Assert.Contains(expected, message);
    }

    /// <summary>
    /// <c>Outbox:LaneConcurrency</c> as the settings' binder gives it (an environment variable's upper case among them)
    /// reaches the lanes it names, and only those.
    /// </summary>
    [Fact]
    public void ALanesOwnSlots_AsTheSettingsNameIt_AreThatLanesOnly()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Outbox:LaneConcurrency:phone"] = "32",
            ["Outbox:LaneConcurrency:CHAT_PAGING"] = "2",
        }).Build();
        var options = settings.GetSection(Bot.Core.Effects.OutboxOptions.SectionName).Get<Bot.Core.Effects.OutboxOptions>()!;

        Assert.True(new Bot.Core.Effects.OutboxOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(32, options.SlotsOf(Bot.Core.Effects.JobLane.Phone));
        Assert.Equal(2, options.SlotsOf(Bot.Core.Effects.JobLane.ChatPaging));
        Assert.Equal(8, options.SlotsOf(Bot.Core.Effects.JobLane.Email)); // Outbox:PagingConcurrency's
        Assert.Equal(8, options.SlotsOf(Bot.Core.Effects.JobLane.Default)); // Outbox:Concurrency's
        Assert.Equal(2, options.SlotsOf(Bot.Core.Effects.JobLane.Summaries)); // its own: the chat's budget of updates is below two slots'
        options.LaneConcurrency["summaries"] = 4;
        Assert.Equal(4, options.SlotsOf(Bot.Core.Effects.JobLane.Summaries));
    }

    [Theory]
    [InlineData("--Storage:Writers=0", "Storage:Writers is 0; expected 1 to 64.")]
    [InlineData("--Slack:Replicas=0", "Slack:Replicas is 0; expected 1 to 64 (the number of the bot's replicas, which share Slack's rate limits).")]
    [InlineData("--LocalChat:Directory=/proc/no-such-folder", "LocalChat:Directory '/proc/no-such-folder' cannot be used: Could not find file '/proc/no-such-folder'.")]
    [InlineData("--Outbox:Concurrency=abc", "Failed to convert configuration value 'abc' at 'Outbox:Concurrency' to type 'System.Int32'.")]
    [InlineData("--urls=localhost", "Invalid url: 'localhost' (from --urls or ASPNETCORE_URLS); expected addresses such as http://127.0.0.1:8080, separated by ';'.")]
    public async Task TheBotProcess_GivenABadSetting_PrintsOneLineAndExits2_WithoutAStackTrace(string setting, string expected)
    {
        var (code, stdout, stderr) = await RunBotAsync("--urls=http://127.0.0.1:0", setting);

        Assert.Equal(2, code);
        Assert.Equal($"incident-bot: cannot start: {expected}", stderr.Trim());
        Assert.DoesNotContain("Exception", stdout);
        Assert.DoesNotContain("fail:", stdout);
    }

    /// <summary>Runs the built bot with these arguments in a new folder until it exits (30 s at most).</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunBotAsync(params string[] args) => RunBotAsync(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="RunBotAsync(string[])"/>, with these environment variables.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunBotAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-acceptance", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(folder);
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "Bot.dll"), .. args])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Directory.Delete(folder, recursive: true);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public void ASettingsFileThatIsNotJson_IsOneLine_NamingTheFileAndWhere()
    {
        var file = Path.Combine(Path.GetTempPath(), $"appsettings-{Guid.NewGuid():n}.json");
        File.WriteAllText(file, "{ \"Incidents\": { \"DefaultSeverity\": \"SEV2\" }, oops }");
        try
        {
            var e = Assert.ThrowsAny<Exception>(() => new ConfigurationBuilder().AddJsonFile(file).Build());

            Assert.Equal(
                $"Failed to load configuration from file '{file}'. 'o' is an invalid start of a property name. Expected a '\"'. LineNumber: 0 | BytePositionInLine: 46.",
                BotApp.StartupError(e));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task UnopenableDatabase_StopsStartWithMessageNamingTheKey()
    {
        var folder = Path.Combine(Path.GetTempPath(), "bot-acceptance", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(Path.Combine(folder, "bot.db")); // a folder where the file should be

        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(folder: folder));

        Assert.StartsWith("Storage:SqlitePath", BotApp.StartupError(e));
    }

    [Fact]
    public async Task UnreachablePostgres_StopsStartNamingServerAndDatabase_NeverThePassword()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now

        var e = await Assert.ThrowsAnyAsync<Exception>(() => BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:ConnectionString"] = $"Host=127.0.0.1;Port={port};Database=incidents;Username=bot;Password=s3cret-pw;Timeout=2",
        }));

        var message = BotApp.StartupError(e);
        Assert.NotNull(message);
        Assert.StartsWith($"Storage:ConnectionString: cannot use database 'incidents' on 127.0.0.1:{port}", message);
        Assert.DoesNotContain("s3cret-pw", message);
    }

    [Theory]
    [InlineData("00:00:10", 30)] // the host's own 30 s is enough
    [InlineData("00:01:00", 65)] // a job may run a minute: SIGTERM waits for it, and a margin
    public async Task Shutdown_WaitsForARunningJobToFinish(string jobTimeout, int seconds)
    {
        await using var app = BotApp.Build(["--urls=http://127.0.0.1:0", $"--Outbox:JobTimeout={jobTimeout}", $"--Storage:SqlitePath={Path.GetTempFileName()}.db"]);

        Assert.Equal(TimeSpan.FromSeconds(seconds), app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.Extensions.Hosting.HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task Settings_AreReadFromBesideTheBot_AndNoFileIsWatched()
    {
        await using var app = BotApp.Build(["--urls=http://127.0.0.1:0", $"--Storage:SqlitePath={Path.GetTempFileName()}.db"]);

        // Not the working directory: a watcher there followed every write of data/ (the database, the local chat).
        Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.TrimEndingDirectorySeparator(app.Environment.ContentRootPath));
        var files = ((Microsoft.Extensions.Configuration.IConfigurationRoot)app.Configuration).Providers
            .OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>().ToList();
        Assert.Contains(files, f => f.Source.Path == "appsettings.json");
        Assert.All(files, f => Assert.False(f.Source.ReloadOnChange, $"{f.Source.Path} is watched"));
    }

    [Fact]
    public async Task Program_WithBadSetting_ExitsWith2()
    {
        var code = await BotApp.RunAsync(["--urls=http://127.0.0.1:0", "--Incidents:DefaultSeverity=urgent", $"--Storage:SqlitePath={Path.GetTempFileName()}.db"]);

        Assert.Equal(2, code);
    }
}
