using Bot.Core.Ports;

namespace Bot.Core.Incidents;

/// <summary>The incident operations a unit of work may do: read and save an incident, add to its timeline.</summary>
public interface IIncidentSession : ISession
{
    Incident? GetIncident(long number);

    void UpdateIncident(Incident incident);

    void AppendTimeline(long incidentNumber, TimelineEntry entry);

    /// <summary>Appends the entry unless one with the same time, author and text is there; false when it was.</summary>
    bool AppendTimelineOnce(long incidentNumber, TimelineEntry entry);
}
