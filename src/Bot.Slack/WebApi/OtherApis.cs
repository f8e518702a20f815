namespace Bot.Slack.WebApi;

/// <summary><c>pins.*</c> methods.</summary>
public interface IPinsApi
{
    Task AddMessage(string channelId, string ts, CancellationToken cancellationToken = default);
}

internal sealed class PinsApi(ISlackApiClient client) : IPinsApi
{
    public Task AddMessage(string channelId, string ts, CancellationToken cancellationToken = default) =>
        client.Post("pins.add", new SlackArgs().Add("channel", channelId).Add("timestamp", ts), cancellationToken);
}

public sealed record User(string Id, string Name, string? RealName, string? DisplayName)
{
    public string Display => !string.IsNullOrEmpty(DisplayName) ? DisplayName : RealName ?? Name;
}

/// <summary><c>users.*</c> methods.</summary>
public interface IUsersApi
{
    Task<User> Info(string userId, CancellationToken cancellationToken = default);

    Task<User> LookupByEmail(string email, CancellationToken cancellationToken = default);
}

internal sealed class UsersApi(ISlackApiClient client) : IUsersApi
{
    public async Task<User> Info(string userId, CancellationToken cancellationToken = default) =>
        Read((await client.Get("users.info", new SlackArgs().Add("user", userId), cancellationToken)).GetProperty("user"));

    public async Task<User> LookupByEmail(string email, CancellationToken cancellationToken = default) =>
        Read((await client.Get("users.lookupByEmail", new SlackArgs().Add("email", email), cancellationToken)).GetProperty("user"));

    private static User Read(System.Text.Json.JsonElement u)
    {
        var profile = u.TryGetProperty("profile", out var p) ? p : default;
        string? Text(System.Text.Json.JsonElement e, string name) =>
            e.ValueKind == System.Text.Json.JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.GetString() : null;
        return new User(Text(u, "id")!, Text(u, "name") ?? "", Text(u, "real_name") ?? Text(profile, "real_name"), Text(profile, "display_name"));
    }
}

/// <summary><c>usergroups.users.*</c> methods.</summary>
public interface IUserGroupUsersApi
{
    Task<IReadOnlyList<string>> List(string userGroupId, CancellationToken cancellationToken = default);

    /// <summary>Replaces the group's members (<c>usergroups.users.update</c>); Slack refuses an empty list.</summary>
    Task Update(string userGroupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default);
}

internal sealed class UserGroupUsersApi(ISlackApiClient client) : IUserGroupUsersApi
{
    public async Task<IReadOnlyList<string>> List(string userGroupId, CancellationToken cancellationToken = default) =>
        (await client.Get("usergroups.users.list", new SlackArgs().Add("usergroup", userGroupId), cancellationToken))
            .GetProperty("users").EnumerateArray().Select(u => u.GetString()!).ToList();

    public Task Update(string userGroupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken = default) =>
        client.Post("usergroups.users.update", new SlackArgs().Add("usergroup", userGroupId).Add("users", string.Join(',', userIds)), cancellationToken);
}

/// <summary>Who the token belongs to (<c>auth.test</c>).</summary>
public sealed record AuthIdentity(string UserId, string TeamId);

/// <summary><c>auth.*</c> methods.</summary>
public interface IAuthApi
{
    Task<AuthIdentity> Test(CancellationToken cancellationToken = default);
}

internal sealed class AuthApi(ISlackApiClient client) : IAuthApi
{
    public async Task<AuthIdentity> Test(CancellationToken cancellationToken = default)
    {
        var root = await client.Post("auth.test", new SlackArgs(), cancellationToken);
        return new AuthIdentity(root.GetProperty("user_id").GetString()!, root.TryGetProperty("team_id", out var team) ? team.GetString() ?? "" : "");
    }
}

/// <summary><c>views.*</c> methods.</summary>
public interface IViewsApi
{
    /// <summary>Opens a modal; returns its view id, or null when Slack's answer (ok) carries none: the modal is open either way.</summary>
    Task<string?> Open(string triggerId, string viewJson, CancellationToken cancellationToken = default);

    /// <summary>Publishes a person's Home tab.</summary>
    Task Publish(string userId, string viewJson, CancellationToken cancellationToken = default);
}

internal sealed class ViewsApi(ISlackApiClient client) : IViewsApi
{
    public async Task<string?> Open(string triggerId, string viewJson, CancellationToken cancellationToken = default) =>
        Handlers.SlackInbound.Text(
            await client.Post("views.open", new SlackArgs().Add("trigger_id", triggerId).Add("view", new RawJson(viewJson)), cancellationToken), "view", "id");

    public Task Publish(string userId, string viewJson, CancellationToken cancellationToken = default) =>
        client.Post("views.publish", new SlackArgs().Add("user_id", userId).Add("view", new RawJson(viewJson)), cancellationToken);
}
