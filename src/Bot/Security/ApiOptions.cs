namespace Bot.Security;

/// <summary>
/// Who may use <c>/api/*</c>. Section <c>Api</c>. Each token has a name, the SHA-256 hash of its secret (the secret
/// itself is never stored: <c>dotnet run --project src/Bot -- token &lt;name&gt; &lt;scopes&gt;</c> makes one), its
/// scopes and the person it acts as. With no tokens, the API answers loopback clients only.
/// </summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    public Dictionary<string, ApiTokenOptions> Tokens { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One API token.</summary>
public sealed class ApiTokenOptions
{
    /// <summary><c>sha256:</c> and the hex SHA-256 of the secret the client sends as <c>Authorization: Bearer &lt;secret&gt;</c>.</summary>
    public string Hash { get; set; } = "";

    /// <summary>What the token may do: <see cref="ApiScopes.All"/>.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The chat user id its commands are written as (required with the <c>commands</c> scope).</summary>
    public string? User { get; set; }

    /// <summary>That person's name on the timeline; default the user id.</summary>
    public string? UserName { get; set; }
}

/// <summary>Bypasses that an operator must ask for by name. Section <c>Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>
    /// Lets the API without tokens, and webhook sources without a token, answer clients that are not on loopback, and
    /// lets the bot start on a non-loopback address that way. Default false: nobody reads, acts or pages without
    /// proving who they are, once the bot can be reached from another machine.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}

/// <summary>The scopes an API token may hold.</summary>
public static class ApiScopes
{
    /// <summary><c>GET /api/*</c>: incidents, timelines, alerts.</summary>
    public const string Read = "read";

    /// <summary><c>POST /api/commands</c> and <c>/api/incidents/{id}/commands</c>, as the token's user.</summary>
    public const string Commands = "commands";

    /// <summary>With <see cref="Commands"/>: a command names its author (<c>user</c>), shown "alice (via token)".</summary>
    public const string ActAs = "act-as";

    /// <summary><c>GET /metrics</c>: the bot's metrics in Prometheus' format, for a Prometheus server's scrape.</summary>
    public const string Metrics = "metrics";

    public static readonly IReadOnlyList<string> All = [Read, Commands, ActAs, Metrics];

    /// <summary>The claim type each scope is held in.</summary>
    public const string ClaimType = "scope";
}
