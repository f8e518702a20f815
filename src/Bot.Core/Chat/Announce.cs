using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Effects;
using Bot.Core.Incidents;

namespace Bot.Core.Chat;

/// <summary>Announce the new incident in the incidents channel.</summary>
public sealed record AnnounceJob(long Incident) : IChatJob, IJob<AnnounceJob>
{
    public static string Kind => "chat.announce";

    public static string Description => "announce the incident";

    public static JsonTypeInfo<AnnounceJob> Json => ChatJsonContext.Default.AnnounceJob;

    [JsonIgnore]
    public string Key => $"{Incidents.Incident.FormatKey(Incident)}:{Kind}";

    [JsonIgnore]
    public string OrderingKey => Incidents.Incident.FormatKey(Incident);
}

public sealed class AnnounceHandler(IIncidentReads reads, IChat chat) : ChatJobHandler<AnnounceJob>(reads)
{
    protected override Task HandleAsync(AnnounceJob job, Incident incident, EffectJob run, CancellationToken cancellationToken) =>
        chat.AnnounceAsync(IncidentMessages.Announcement(incident), run.Key, cancellationToken);
}
