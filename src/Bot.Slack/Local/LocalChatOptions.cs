namespace Bot.Slack.Local;

/// <summary>The local chat, used when no Slack settings are given. Section <c>LocalChat</c>.</summary>
public sealed class LocalChatOptions
{
    public const string SectionName = "LocalChat";

    /// <summary>Folder of the channel logs (one JSON-lines file per channel). Default <c>data/chat</c>.</summary>
    public string Directory { get; set; } = Path.Combine("data", "chat");

    /// <summary>The channel where new incidents are announced. Default <c>incidents</c>.</summary>
    public string IncidentsChannel { get; set; } = "incidents";
}
