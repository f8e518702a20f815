using Bot.Core.Effects;
using Microsoft.Extensions.DependencyInjection;

namespace Bot.Core.Chat;

/// <summary>The chat stage's jobs, each registered with its handler; and who tells people of a failed job.</summary>
public static class ChatJobs
{
    public static IServiceCollection AddChatJobs(this IServiceCollection services) => services
        .AddJob<OpenChannelJob, OpenChannelHandler>()
        .AddJob<PostSummaryJob, PostSummaryHandler>()
        .AddJob<RefreshSummaryJob, RefreshSummaryHandler>()
        .AddJob<AnnounceJob, AnnounceHandler>()
        .AddJob<DigestJob, DigestHandler>()
        .AddJob<PostTextJob, PostTextHandler>()
        .AddJob<UpdateReminderJob, UpdateReminderHandler>()
        .AddJob<JobFailedJob, JobFailedHandler>()
        .AddSingleton<IJobFailureReporter, IncidentJobFailureReporter>();
}
