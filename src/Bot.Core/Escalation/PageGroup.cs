using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Ports;

namespace Bot.Core.Escalation;

/// <summary>Page the members of a user group no team owns, at the step that named it: the chat says who they are when the job runs.</summary>
public sealed record PageGroupJob(long Incident, string Policy, int Run, int Cycle, int Step, string Group, string Where) : IIncidentJob, IJob<PageGroupJob>
{
    public static string Kind => "escalation.page_group";

    public static string Description => "page the members of a user group";

    public static JobLane Lane => JobLane.ChatPaging;

    public static JsonTypeInfo<PageGroupJob> Json => EscalationJsonContext.Default.PageGroupJob;

    [JsonIgnore]
    public string Key => $"{Escalator.StepKey(Incident, Policy, Run, Cycle, Step)}:group:{Group}";

    [JsonIgnore]
    public string OrderingKey => Key;
}

/// <summary>Asks the chat who is in the group, then pages each member in one unit of work.</summary>
public sealed class PageGroupHandler(IUnitOfWork<IEscalationSession> store, IChat chat, Escalator escalator) : IJobHandler<PageGroupJob>
{
    public async Task HandleAsync(PageGroupJob job, EffectJob run, CancellationToken cancellationToken)
    {
        var members = await chat.GroupMembersAsync(job.Group, cancellationToken);
        await store.WriteAsync(s => escalator.PageGroupMembers(s, job, members), cancellationToken);
    }
}
