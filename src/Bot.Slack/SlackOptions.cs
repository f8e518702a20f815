namespace Bot.Slack;

/// <summary>Slack settings. Section <c>Slack</c>. With no <see cref="BotToken"/>, the local chat is used instead.</summary>
public sealed class SlackOptions
{
    public const string SectionName = "Slack";

    /// <summary>The bot token (<c>xoxb-...</c>). Set it to use Slack.</summary>
    public string? BotToken { get; set; }

    /// <summary>The app's signing secret: requests to /slack/* must be signed with it.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>The app-level token (<c>xapp-...</c>) for Socket Mode; when set, the bot needs no public URL.</summary>
    public string? AppToken { get; set; }

    /// <summary>The Web API's base address. Default <c>https://slack.com/api/</c>; tests and proxies change it.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://slack.com/api/");

    /// <summary>The channel (id) where new incidents are announced.</summary>
    public string? IncidentsChannel { get; set; }

    /// <summary>Users (ids) invited to every incident channel.</summary>
    public List<string> InviteUsers { get; set; } = [];

    /// <summary>Requests whose timestamp is further than this from now are refused (replays). Default 5 minutes.</summary>
    public TimeSpan SignatureTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many replicas share the workspace's Slack rate limits: each keeps to its share (1/N) of every method's calls a
    /// minute, since Slack counts the app's calls in the workspace, not a replica's. Default 1; set it to the number of
    /// replicas (two calling <c>chat.update</c> at full speed, as two storming incidents' summaries do, would pass its 50).
    /// </summary>
    public int Replicas { get; set; } = 1;

    public bool Enabled => !string.IsNullOrWhiteSpace(BotToken);
}
