namespace Bot.Slack.Local;

/// <summary>The local chat, used when no Slack settings are given. Section <c>LocalChat</c>.</summary>
public sealed class LocalChatOptions
{
    public const string SectionName = "LocalChat";

    /// <summary>Folder of the channel logs (one JSON-lines file per channel). Default <c>data/chat</c>.</summary>
    public string Directory { get; set; } = Path.Combine("data", "chat");

    /// <summary>The channel where new incidents are announced. Default <c>incidents</c>.</summary>
    public string IncidentsChannel { get; set; } = "incidents";

    /// <summary>
    /// User groups and their members, as Slack would know them (<c>"S0DBONCALL": ["U01", "U02"]</c>), so that
    /// <c>usergroup:</c> escalation targets page people without Slack. A group not listed has no members.
    /// </summary>
    public Dictionary<string, List<string>> UserGroups { get; set; } = new(StringComparer.Ordinal);
}
