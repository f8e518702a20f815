namespace Bot.Slack.Handlers;

/// <summary>A slash command as Slack posts it (form fields), shaped like SlackNet's <c>SlashCommand</c>.</summary>
public sealed class SlashCommand
{
    public string Command { get; set; } = "";
    public string Text { get; set; } = "";
    public string UserId { get; set; } = "";
    public string UserName { get; set; } = "";
    public string ChannelId { get; set; } = "";
    public string ChannelName { get; set; } = "";
    public string TeamId { get; set; } = "";
    public string? ResponseUrl { get; set; }
    public string? TriggerId { get; set; }

    /// <summary>Socket Mode carries the same fields as JSON.</summary>
    public static SlashCommand FromJson(System.Text.Json.JsonElement payload) =>
        FromForm(payload.EnumerateObject().Where(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!));

    public static SlashCommand FromForm(IReadOnlyDictionary<string, string> form) => new()
    {
        Command = form.GetValueOrDefault("command", ""),
        Text = form.GetValueOrDefault("text", ""),
        UserId = form.GetValueOrDefault("user_id", ""),
        UserName = form.GetValueOrDefault("user_name", ""),
        ChannelId = form.GetValueOrDefault("channel_id", ""),
        ChannelName = form.GetValueOrDefault("channel_name", ""),
        TeamId = form.GetValueOrDefault("team_id", ""),
        ResponseUrl = form.GetValueOrDefault("response_url"),
        TriggerId = form.GetValueOrDefault("trigger_id"),
    };
}

/// <summary>The answer to a slash command: shown to the caller only, or to the channel.</summary>
public sealed class SlashCommandResponse
{
    public string Text { get; set; } = "";

    /// <summary><c>ephemeral</c> (the default) or <c>in_channel</c>.</summary>
    public string ResponseType { get; set; } = "ephemeral";
}

/// <summary>Handles slash commands (SlackNet's <c>ISlashCommandHandler</c> shape).</summary>
public interface ISlashCommandHandler
{
    Task<SlashCommandResponse> Handle(SlashCommand command);
}
