using Bot.Core.Incidents;

namespace Bot.Core.Incidents;

/// <summary>Which incidents to list: one status, or all open ones, newest first, at most <paramref name="Limit"/>.</summary>
public sealed record IncidentQuery(IncidentStatus? Status, bool OpenOnly, int Limit);
