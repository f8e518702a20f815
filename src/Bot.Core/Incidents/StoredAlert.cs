using Bot.Core.Alerts;

namespace Bot.Core.Incidents;

/// <summary>An alert as the store keeps it: in which incident, and when the bot first saw it.</summary>
public sealed record StoredAlert(long IncidentNumber, Alert Alert, DateTimeOffset FirstSeenAt, DateTimeOffset UpdatedAt);
