using System.Globalization;
using Bot.Core.Escalation;
using Bot.Core.Incidents;

namespace Bot.Api;

/// <summary>
/// The incident list's filters (the console's list and <c>GET /api/incidents</c>), from the query string: status
/// (<c>open</c> by default, or <c>all</c>), severity,
/// team (the incidents a policy paging that team paged), the UTC days opened (<c>from</c>, <c>to</c>, both included) and
/// a search in titles. A bad value is an <see cref="Error"/> saying which and why.
/// </summary>
public sealed record IncidentFilter(string Status, Severity? Severity, string? Team, DateOnly? From, DateOnly? To, string? Search, IReadOnlyList<string>? TeamPolicies)
{
    public const int MaxSearch = 200;

    public static readonly string[] Statuses = ["open", "triggered", "acknowledged", "mitigated", "resolved", "all"];

    public string? Error { get; private init; }

    public static IncidentFilter Parse(string? status, string? q, string? severity, string? team, string? from, string? to, EscalationOptions escalation)
    {
        var errors = new List<string>();
        var s = string.IsNullOrEmpty(status) ? "open" : status.ToLowerInvariant();
        if (!Statuses.Contains(s))
        {
            errors.Add($"status '{status}' is not one of {string.Join(", ", Statuses)}.");
        }

        Severity? sev = null;
        if (!string.IsNullOrEmpty(severity) && (sev = SeverityText.Parse(severity)) is null)
        {
            errors.Add($"severity '{severity}' is not SEV1 to SEV4.");
        }

        string? teamName = null;
        if (!string.IsNullOrEmpty(team))
        {
            teamName = escalation.Teams.Keys.FirstOrDefault(t => t.Equals(team, StringComparison.OrdinalIgnoreCase));
            if (teamName is null)
            {
                errors.Add($"team '{team}' is not a team of the settings ({(escalation.Teams.Count == 0 ? "there are none" : string.Join(", ", escalation.Teams.Keys.Order(StringComparer.Ordinal)))}).");
            }
        }

        DateOnly? Day(string? text, string name)
        {
            if (string.IsNullOrEmpty(text))
            {
                return null;
            }

            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return day;
            }

            errors.Add($"{name} '{text}' is not a day written yyyy-mm-dd.");
            return null;
        }

        var (fromDay, toDay) = (Day(from, "from"), Day(to, "to"));
        if (fromDay > toDay)
        {
            errors.Add($"from {fromDay:yyyy-MM-dd} is after to {toDay:yyyy-MM-dd}.");
        }

        var search = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (search?.Length > MaxSearch)
        {
            errors.Add($"the search is {search.Length} characters; at most {MaxSearch}.");
        }

        return new IncidentFilter(Statuses.Contains(s) ? s : "open", sev, teamName, fromDay, toDay, search, teamName is null ? null : escalation.PoliciesPaging(teamName))
        {
            Error = errors.Count == 0 ? null : string.Join(" ", errors),
        };
    }

    /// <summary>The store's query for these filters, a page of <paramref name="limit"/>.</summary>
    public IncidentQuery Query(int limit) =>
        new(Status is "open" or "all" ? null : IncidentStatusText.Parse(Status), Status == "open", limit)
        {
            Severity = Severity,
            PagedBy = TeamPolicies,
            OpenedFrom = From is { } f ? new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            OpenedBefore = To is { } t ? new DateTimeOffset(t.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null,
            TitleContains = Search,
        };

    /// <summary>These filters as a query string, with <paramref name="status"/> in place of this one's when given.</summary>
    public string QueryString(string? status = null)
    {
        var parts = new List<string> { $"status={status ?? Status}" };
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parts.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        Add("q", Search);
        Add("severity", Severity?.Display());
        Add("team", Team);
        Add("from", From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Add("to", To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        return string.Join("&", parts);
    }
}
