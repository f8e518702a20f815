using Bot.Core.Heartbeats;
using Bot.Api;
using Bot.Core.Chat;
using Bot.Core.Commands;
using Bot.Core.Effects;
using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Intake;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Store;
using Bot.Core.Tasks;
using Bot.Core;
using Bot.GitHub.GitHub;
using Bot.Security;
using Bot.Slack.Local;
using Bot.Slack;
using Bot.Storage.Postgres;
using Bot.Storage.Sql;
using Bot.Storage.Sqlite;
using Bot.Storage;
using Bot.Webhooks;
using Bot.Workers;
using Microsoft.Extensions.Options;

namespace Bot.Composition;

/// <summary>Registers the bot's parts: options (validated at start), store, chat, pipeline and workers.</summary>
internal static class BotServices
{
    public static WebApplicationBuilder AddBot(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingletonTimeProvider();
        // The console log escapes control characters from alerts and people (PlainConsoleFormatter), unless the
        // settings choose another format (Logging:Console:FormatterName=json).
        // The JSON lines carry the log scopes: the incident and the outbox job a line is about.
        builder.Logging.AddConsole().AddConsoleFormatter<PlainConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        var formatter = builder.Configuration["Logging:Console:FormatterName"];
        services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName = string.IsNullOrEmpty(formatter) ? PlainConsoleFormatter.FormatterName : formatter);
        services.Configure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BotJsonContext.Default));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // A body over an endpoint's limit is refused by the server as it is read, with no word of why: say it.
            if (c.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge && c.ProblemDetails.Detail is null
                && c.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>() is { MaxRequestBodySize: { } max })
            {
                c.ProblemDetails.Detail = $"The body is larger than this endpoint's limit of {max} bytes; nothing was done.";
            }
        });
        // Binding failures are thrown (not answered with a bare 400) so that BadRequestHandler can say what was wrong.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<BadRequestHandler>();

        builder.AddBotSecurity();
        Telemetry.TelemetryServices.AddBotTelemetry(builder);
        AddValidated<WebhookOptions, WebhookOptionsValidator>(builder, WebhookOptions.SectionName);
        AddValidated<IncidentOptions, IncidentOptionsValidator>(builder, IncidentOptions.SectionName);
        services.AddSingleton<IValidateOptions<IncidentOptions>, PermissionsValidator>();
        AddValidated<StorageOptions, StorageOptionsValidator>(builder, StorageOptions.SectionName);
        AddValidated<PostmortemOptions, PostmortemOptionsValidator>(builder, PostmortemOptions.SectionName);
        AddValidated<OutboxOptions, OutboxOptionsValidator>(builder, OutboxOptions.SectionName);
        services.AddOptions<LocalChatOptions>().BindConfiguration(LocalChatOptions.SectionName);

        services.AddIncidentStore(OpenStore);
        services.AddOptions<EscalationOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EscalationOptions>, EscalationOptionsValidator>();
        services.AddSingleton<Escalator>();
        services.AddSingleton<IncidentRules>();
        services.AddSingleton<AlertIntake>();
        services.AddOptions<HeartbeatSettings>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HeartbeatSettings>, HeartbeatSettingsValidator>();
        services.AddHeartbeats();
        services.AddHostedService<Webhooks.HeartbeatWatcher>();
        services.AddHostedService<Workers.HandoffScheduler>();
        services.AddSingleton<CommandPermissions>();
        services.AddSingleton<IncidentCommands>();
        services.AddSingleton<PageReplies>();
        services.AddSingleton<DeliveryReports>();
        Bot.Paging.PagingServices.AddPaging(services, builder.Configuration, local: !SlackServices.UsesSlack(builder.Configuration));

        services.AddBotSlack(builder.Configuration);
        if (SlackServices.UsesSlack(builder.Configuration))
        {
            services.AddSingleton<IChat, SlackChat>();
        }
        else
        {
            services.AddSingleton<IChat, LocalChat>();
        }

        // Every kind of job, each registered by the stage it belongs to.
        services.AddChatJobs().AddEscalationJobs().AddPostmortemJobs().AddTaskJobs();
        AddValidated<GitHubOptions, GitHubOptionsValidator>(builder, GitHubOptions.SectionName);
        if (builder.Configuration.GetSection(GitHubOptions.SectionName).Get<GitHubOptions>() is { IsConfigured: true })
        {
            services.AddSingleton<IPostmortemPublisher, GitHubPullRequestPublisher>();
            services.AddSingleton<IIssueTracker, GitHubIssueTracker>();
        }
        else
        {
            services.AddSingleton<IPostmortemPublisher, Bot.GitHub.Local.LocalRepositoryPublisher>();
            services.AddSingleton<IIssueTracker, Bot.GitHub.Local.LocalIssueTracker>();
        }

        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService<OutboxWorker>();

        // On SIGTERM a job already running is finished (it is bounded by Outbox:JobTimeout): give it that long.
        services.AddOptions<HostOptions>().Configure<IOptions<OutboxOptions>>((host, outbox) =>
            host.ShutdownTimeout = TimeSpan.FromTicks(Math.Max(host.ShutdownTimeout.Ticks, (outbox.Value.JobTimeout + TimeSpan.FromSeconds(5)).Ticks)));

        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);
        return builder;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    private static void AddValidated<TOptions, TValidator>(WebApplicationBuilder builder, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        builder.Services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    private static SqlIncidentStore OpenStore(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
        var time = sp.GetRequiredService<TimeProvider>();
        return options.IsPostgres
            ? OpenPostgres(options, time, sp.GetRequiredService<ILogger<PostgresIncidentStore>>())
            : OpenSqlite(options, time, sp.GetRequiredService<ILogger<SqliteIncidentStore>>());
    }

    // One method per engine, so that a bot on SQLite never loads Npgsql (start-up time).
    private static SqlIncidentStore OpenPostgres(StorageOptions options, TimeProvider time, ILogger log)
    {
        try
        {
            return PostgresIncidentStore.Open(options, time, log);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The connection string is not repeated: it may hold a password.
            var server = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
            throw new BotStartupException(
                $"{StorageOptions.SectionName}:ConnectionString: cannot use database '{server.Database}' on {server.Host}:{server.Port}: {e.Message}", e);
        }
    }

    private static SqlIncidentStore OpenSqlite(StorageOptions options, TimeProvider time, ILogger log)
    {
        try
        {
            return SqliteIncidentStore.Open(options, time, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            throw new BotStartupException($"{StorageOptions.SectionName}:SqlitePath '{options.SqlitePath}' cannot be opened: {e.Message}", e);
        }
    }
}
