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

    public static IServiceCollection AddBotSlack(this IServiceCollection services)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>();
        services.AddSingleton<ISlashCommandHandler, IncidentSlashCommandHandler>();
        services.AddSingleton<IBlockActionHandler, IncidentButtonHandler>();
        services.AddSingleton<DeclareModalHandler>();
        services.AddSingleton<IViewSubmissionHandler>(sp => sp.GetRequiredService<DeclareModalHandler>());
        services.AddHttpClient<ISlackResponder, SlackResponder>(c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<SlackMethodTiers>();
        services.AddSingleton<ChannelPacer>();
        services.AddHttpClient<ISlackApiClient, SlackApiClient>(c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<IEventHandler<ReactionAdded>, PinnedMessageHandler>();
        services.AddSingleton<SlackInbound>();
        services.AddSingleton<ResponderGroups>();
        services.AddSingleton<SlackPeople>();
        services.AddHttpClient(SocketMode.SocketModeClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton<SocketMode.SocketModeClient>();
        services.AddHostedService(sp => sp.GetRequiredService<SocketMode.SocketModeClient>());
        return services;
    }
}
