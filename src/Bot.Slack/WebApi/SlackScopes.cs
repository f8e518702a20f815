namespace Bot.Slack.WebApi;

/// <summary>
/// The bot scopes each Web API method we call needs, and those of our slash command and events. The client refuses
/// a method that is not listed here, and a test checks that manifests/slack-app.yaml asks for exactly these scopes.
/// </summary>
public static class SlackScopes
{
    public static readonly IReadOnlyDictionary<string, string?> ByMethod = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["chat.postMessage"] = "chat:write",
        ["chat.update"] = "chat:write",
        ["chat.postEphemeral"] = "chat:write",
        ["conversations.create"] = "channels:manage",
        ["conversations.invite"] = "channels:manage",
        ["conversations.setTopic"] = "channels:manage",
        ["conversations.setPurpose"] = "channels:manage",
        ["conversations.join"] = "channels:join",
        ["conversations.info"] = "channels:read",
        ["conversations.history"] = "channels:history",
        ["conversations.open"] = "im:write",
        ["conversations.list"] = "channels:read",
        ["auth.test"] = null, // any token may ask who it is
        ["pins.add"] = "pins:write",
        ["users.info"] = "users:read",
        ["users.lookupByEmail"] = "users:read.email",
        ["usergroups.users.list"] = "usergroups:read",
        ["usergroups.users.update"] = "usergroups:write",
        ["views.open"] = null, // needs only a trigger from an interaction
        ["views.publish"] = null, // a person's Home tab
    };

    /// <summary>Scopes of what Slack sends us: the slash command and the reaction_added event (app_home_opened needs none).</summary>
    public static readonly IReadOnlyList<string> ForIncoming = ["commands", "reactions:read"];

    /// <summary>Scopes a method needs beyond its own in some channels: conversations.history in a DM (a retried page).</summary>
    public static readonly IReadOnlyList<string> ForDirectMessages = ["im:history"];

    /// <summary>The Events API events the bot subscribes to.</summary>
    public static readonly IReadOnlyList<string> BotEvents = ["reaction_added", "app_home_opened"];

    public static IReadOnlySet<string> All =>
        ByMethod.Values.OfType<string>().Concat(ForIncoming).Concat(ForDirectMessages).ToHashSet(StringComparer.Ordinal);
}
