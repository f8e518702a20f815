using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Ports;

namespace Bot.Core.Chat;

/// <summary>Make the incident's channel (the first of <see cref="IncidentOpening"/>).</summary>
public sealed record OpenChannelJob(long Incident) : IChatJob, IJob<OpenChannelJob>
{
    public static string Kind => "chat.open_channel";

    public static string Description => "create the incident channel";

    public static JsonTypeInfo<OpenChannelJob> Json => ChatJsonContext.Default.OpenChannelJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:{Kind}";

    [JsonIgnore]
    public string OrderingKey => Incidents.Incident.FormatKey(Incident);
}

/// <summary>Creates the incident channel and records it on the incident.</summary>
public sealed class OpenChannelHandler(IIncidentReads reads, IUnitOfWork<IChatSession> store, IChat chat) : ChatJobHandler<OpenChannelJob>(reads)
{
    protected override async Task HandleAsync(OpenChannelJob job, Incident incident, EffectJob run, CancellationToken cancellationToken)
    {
        if (incident.ChannelId is not null)
        {
            return;
        }

        var name = IncidentChannelName.For(incident.Title, incident.CreatedAt, incident.Key);
        var channel = await chat.CreateChannelAsync(name, IncidentMessages.Topic(incident), run.Key, cancellationToken);
        await store.WriteAsync(
            s =>
            {
                var current = s.GetIncident(incident.Number)!;
                if (current.ChannelId is null)
                {
                    s.AppendTimeline(current.Number, current.AttachChannel(channel.Id, channel.Name, s.Now));
                    s.UpdateIncident(current);
                }

                return true;
            },
            cancellationToken);
    }
}
