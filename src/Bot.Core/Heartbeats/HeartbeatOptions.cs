namespace Bot.Core.Heartbeats;

/// <summary>
/// <c>Heartbeats:&lt;name&gt;</c>: a dead man's switch. Something that should keep beating (Alertmanager's always-firing
/// <c>Watchdog</c>, a cron job, a backup) beats by <c>POST /heartbeats/&lt;name&gt;</c> or by sending an alert that
/// <see cref="Match"/>es; when no beat came for <see cref="Interval"/> plus <see cref="Grace"/>, the bot opens an
/// incident as for an alert with <see cref="Labels"/> (so routes page the right team), and resolves it at the next beat.
/// </summary>
public sealed class HeartbeatOptions
{
    public const string SectionName = "Heartbeats";

    /// <summary>How often beats come (e.g. Alertmanager's <c>repeat_interval</c> for the Watchdog's route): <c>1m</c>, <c>5m</c>, <c>1h</c>.</summary>
    public string Interval { get; set; } = "";

    /// <summary>How much later than <see cref="Interval"/> a beat may come before it is missed. Default 1m.</summary>
    public string Grace { get; set; } = "1m";

    /// <summary>Label matchers (<c>alertname=Watchdog</c>, as routes write them): an alert matching all of them is a beat, not an incident.</summary>
    public List<string> Match { get; set; } = [];

    /// <summary>The missed heartbeat's alert labels (<c>team</c>, <c>severity</c>...), which routes match; <c>alertname</c> is <c>HeartbeatMissed</c> unless given.</summary>
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>The incident's title. Default: "No heartbeat from &lt;name&gt;".</summary>
    public string? Title { get; set; }

    /// <summary>The token <c>POST /heartbeats/&lt;name&gt;</c> needs (Bearer, or basic auth's password). Without one, only this machine may beat.</summary>
    public string? Token { get; set; }
}
