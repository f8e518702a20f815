using Bot.Core.Effects;
using Bot.Slack.Handlers;
using Bot.Slack.WebApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bot.Slack;

/// <summary>Registers the Slack handlers and the response_url client.</summary>
public static class SlackServices
{
    /// <summary>True when Slack settings say to use Slack for chat (a bot token is set).</summary>
    public static bool UsesSlack(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{SlackOptions.SectionName}:{nameof(SlackOptions.BotToken)}"]);

    /// <summary>True when an app-level token is set: the bot then takes Slack's events over Socket Mode.</summary>
    public static bool UsesSocketMode(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{SlackOptions.SectionName}:{nameof(SlackOptions.AppToken)}"]);

    public static IServiceCollection AddBotSlack(this IServiceCollection services, Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>();
        services.AddSingleton<ISlashCommandHandler, IncidentSlashCommandHandler>();
        services.AddSingleton<IBlockActionHandler, IncidentButtonHandler>();
        services.AddSingleton<DeclareModalHandler>();
        services.AddSingleton<IViewSubmissionHandler>(sp => sp.GetRequiredService<DeclareModalHandler>());
        services.AddSingleton<OverrideModalHandler>();
        services.AddSingleton<AppHomeHandler>();
        services.AddSingleton<IEventHandler<AppHomeOpened>>(sp => sp.GetRequiredService<AppHomeHandler>());
        services.AddSingleton<IViewSubmissionHandler, RulesModalHandler>();
        services.AddSingleton<IViewSubmissionHandler>(sp => sp.GetRequiredService<OverrideModalHandler>());
        // Named clients, taken from the factory per call by singletons (typed clients held by singletons would never
        // renew their handlers; and building a typed client compiles an expression, which costs start-up time).
        services.AddHttpClient(SlackResponder.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<ISlackResponder, SlackResponder>();
        services.AddSingleton(sp => new SlackMethodTiers(sp.GetRequiredService<IOptions<SlackOptions>>().Value.Replicas));
        services.AddSingleton<ChannelPacer>();
        services.AddHttpClient(SlackApiClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<ISlackApiClient, SlackApiClient>();
        services.AddSingleton<IEventHandler<ReactionAdded>, PinnedMessageHandler>();
        services.AddJob<SlackEventJob, SlackEventJobHandler>();
        services.AddSingleton<SlackInbound>();
        services.AddSingleton<ResponderGroups>();
        services.AddSingleton<SlackPeople>();
        services.AddSingleton<SlackCallers>();
        if (UsesSocketMode(configuration))
        {
            // Only then: the client's handlers would otherwise be built at start for nothing (start-up time).
            services.AddHttpClient(SocketMode.SocketModeClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
            services.AddSingleton<SocketMode.SocketModeClient>();
            services.AddHostedService(sp => sp.GetRequiredService<SocketMode.SocketModeClient>());
        }
        return services;
    }
}
