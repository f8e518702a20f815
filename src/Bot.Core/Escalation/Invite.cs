using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Escalation;

/// <summary>Invite a paged person to the incident's channel, in the incident's order (after the channel is made).</summary>
public sealed record InviteJob(long Incident, string User, string Step) : IChatJob, IJob<InviteJob>
{
    public static string Kind => "chat.invite";

    public static string Description => "invite a paged responder to the channel";

    public static JsonTypeInfo<InviteJob> Json => EscalationJsonContext.Default.InviteJob;

    [JsonIgnore]
    public string Key => $"{Step}:invite:{User}";

    [JsonIgnore]
    public string OrderingKey => Incidents.Incident.FormatKey(Incident);
}

public sealed class InviteHandler(IIncidentReads reads, IChat chat) : ChatJobHandler<InviteJob>(reads)
{
    protected override Task HandleAsync(InviteJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        var channel = incident.ChannelId ?? throw new RetryLaterException($"{incident.Key} has no chat channel yet.", TimeSpan.FromSeconds(10));
        return chat.InviteAsync(channel, [job.User], cancellationToken);
    }
}
