namespace Bot.Core.Incidents;

/// <summary>A status change that the incident's current status does not allow (e.g. resolving twice).</summary>
public sealed class IncidentTransitionException(string message) : InvalidOperationException(message);
