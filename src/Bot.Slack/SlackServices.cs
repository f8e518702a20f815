using Bot.Slack.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bot.Slack;

/// <summary>Registers the Slack handlers and the response_url client.</summary>
public static class SlackServices
{
    public static IServiceCollection AddBotSlack(this IServiceCollection services)
    {
        services.AddOptions<SlackOptions>().BindConfiguration(SlackOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>();
        services.AddSingleton<ISlashCommandHandler, IncidentSlashCommandHandler>();
        services.AddSingleton<IBlockActionHandler, IncidentButtonHandler>();
        services.AddHttpClient<ISlackResponder, SlackResponder>(c => c.Timeout = TimeSpan.FromSeconds(10));
        return services;
    }
}
