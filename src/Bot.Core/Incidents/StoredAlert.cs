using Bot.Core.Alerts;

namespace Bot.Core.Incidents;

/// <summary>An alert as the store keeps it: in which incident, and when the bot first saw it.</summary>
public sealed record StoredAlert(long IncidentNumber, Alert Alert, DateTimeOffset FirstSeenAt, DateTimeOffset UpdatedAt);

/// <summary>
/// What the intake needs to know of an alert an incident holds: which incident, whether it fires, and since when (its
/// episode's start). Read instead of the stored alert whole: Alertmanager sends every alert of a group in each webhook,
/// and a group's unchanged alerts need none of their labels read.
/// </summary>
public readonly record struct KnownAlert(long IncidentNumber, AlertStatus Status, DateTimeOffset StartsAt);
