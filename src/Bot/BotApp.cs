using Bot.Api;
using Bot.Composition;
using Bot.WebConsole;
using Bot.Core;
using Bot.Security;
using Bot.Slack.Endpoints;
using Bot.Telemetry;
using Bot.Webhooks;
using Microsoft.Extensions.Options;

namespace Bot;

/// <summary>Builds and runs the bot's web host.</summary>
public static class BotApp
{
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <param name="configure">Lets tests and tools replace settings or services before the host is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Settings are read once, at start, and validated then; a file watcher would only cost. Left on, it watched
            // the content root with all its subfolders, and so every write of the database and the local chat.
            Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
            // appsettings.json is the one beside Bot.dll, whatever the working directory (data/ and other relative paths
            // in the settings stay relative to the working directory).
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        SecretFiles.Load(builder.Configuration);
        builder.AddBot();
        builder.AddConsole();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseBotSecurity();
        app.UseAntiforgery();
        BodyLimit.UseBodyLimits(app);
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") });
        app.MapWebhooks();
        app.MapHeartbeats();
        app.MapIncidentApi();
        app.MapConsole();
        app.MapOnCallCalendars();
        app.MapCommandApi();
        app.MapSlack();
        Bot.Paging.PagingServices.MapPaging(app);
        app.MapMetrics();
        return app;
    }

    /// <summary>Runs until shut down; a configuration error prints one clear message and returns 2.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            CheckSettings(app);
            await app.StartAsync();
        }
        catch (Exception e) when (StartupError(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"incident-bot: cannot start: {message}");
            return 2;
        }

        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }

    /// <summary>
    /// <c>check</c>: reads and validates the settings as a start would (secret files, every section, what an address other
    /// machines can reach requires), without opening the database or listening. One line and exit 0 when they are
    /// good; the start's one-line error and exit 2 when not. For CI and deployment pipelines, like <c>amtool check-config</c>.
    /// </summary>
    public static async Task<int> CheckAsync(string[] args, TextWriter output, TextWriter errors)
    {
        try
        {
            await using var app = Build(args);
            CheckOptions(app);
        }
        catch (Exception e) when (StartupError(e) is { } message)
        {
            await errors.WriteLineAsync($"incident-bot: the settings are not valid: {message}");
            return 2;
        }

        await output.WriteLineAsync("incident-bot: the settings are valid.");
        return 0;
    }

    /// <summary>
    /// Validates the settings and builds the hosted services with all they use (the store, the chat, the local folders),
    /// as the host's start would, but before it: a bad setting is then reported once, as one line, and not first by the
    /// host as "Hosting failed to start" with a stack trace.
    /// </summary>
    private static void CheckSettings(WebApplication app)
    {
        CheckOptions(app);
        _ = app.Services.GetServices<IHostedService>().ToList();
    }

    private static void CheckOptions(WebApplication app)
    {
        foreach (var url in (app.Configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress.Parse(url); // what Kestrel does with it at start, after the host has logged its own trace
        }

        app.Services.GetService<IStartupValidator>()?.Validate();
    }

    /// <summary>The one-line message for an error in the settings, or null for any other failure.</summary>
    public static string? StartupError(Exception e) => e switch
    {
        OptionsValidationException v => string.Join(" ", v.Failures),
        BotStartupException b => b.Message,
        AggregateException a when a.InnerExceptions.All(i => StartupError(i) is not null) =>
            string.Join(" ", a.InnerExceptions.Select(StartupError)),
        IOException io when io.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
            $"{io.Message} Choose another address with --urls or ASPNETCORE_URLS.",
        FormatException f when f.TargetSite?.DeclaringType == typeof(BindingAddress) =>
            $"{f.Message} (from --urls or ASPNETCORE_URLS); expected addresses such as {DefaultUrl}, separated by ';'.",

        // A value the binder cannot convert: its message names the key, the value and the type expected.
        InvalidOperationException c when c.TargetSite?.DeclaringType == typeof(ConfigurationBinder) => c.Message,

        // A settings file that is not JSON: the file, then where and what the parser found.
        InvalidDataException d when d.InnerException is FormatException { InnerException: System.Text.Json.JsonException j } =>
            $"{d.Message} {j.Message}",
        _ => null,
    };
}
