using System.Text.Json;

namespace Bot.Security;

/// <summary>
/// <c>dotnet run --project src/Bot -- token &lt;name&gt; &lt;scope&gt;... [--user U123] [--user-name alice]</c>: makes a new
/// API token. Prints the secret once (for the client) and the settings that hold its hash (for the bot); the secret is
/// kept nowhere.
/// </summary>
public static class TokenCommand
{
    public const string Usage = "usage: token <name> <scope>... [--user <chat user id>] [--user-name <name>]; scopes: read, commands, act-as";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var rest = args.Skip(1).ToList();
        string? Option(string name)
        {
            var i = rest.IndexOf(name);
            if (i < 0 || i + 1 >= rest.Count)
            {
                return null;
            }

            var value = rest[i + 1];
            rest.RemoveRange(i, 2);
            return value;
        }

        var user = Option("--user");
        var userName = Option("--user-name");
        if (rest.Count < 2 || rest.Any(a => a.StartsWith("--", StringComparison.Ordinal)))
        {
            error.WriteLine($"incident-bot: {Usage}");
            return 2;
        }

        var name = rest[0];
        var secret = ApiTokenHash.NewSecret();
        var token = new ApiTokenOptions { Hash = ApiTokenHash.Of(secret), Scopes = rest.Skip(1).Distinct().ToList(), User = user, UserName = userName };
        var check = new ApiOptionsValidator().Validate(null, new ApiOptions { Tokens = { [name] = token } });
        if (check.Failed)
        {
            error.WriteLine($"incident-bot: {string.Join(" ", check.Failures)}");
            return 2;
        }

        output.WriteLine($"Token '{name}': give its client this secret, shown once and kept nowhere (send it as 'Authorization: Bearer <secret>'):");
        output.WriteLine($"  {secret}");
        output.WriteLine();
        output.WriteLine("Give the bot its hash, as environment variables:");
        var prefix = $"{ApiOptions.SectionName}__Tokens__{name}__";
        output.WriteLine($"  {prefix}Hash={token.Hash}");
        for (var i = 0; i < token.Scopes.Count; i++)
        {
            output.WriteLine($"  {prefix}Scopes__{i}={token.Scopes[i]}");
        }

        if (user is not null)
        {
            output.WriteLine($"  {prefix}User={user}");
        }

        if (userName is not null)
        {
            output.WriteLine($"  {prefix}UserName={userName}");
        }

        output.WriteLine();
        output.WriteLine("or in appsettings.json:");
        var json = new Dictionary<string, object?> { ["Hash"] = token.Hash, ["Scopes"] = token.Scopes };
        if (user is not null)
        {
            json["User"] = user;
        }

        if (userName is not null)
        {
            json["UserName"] = userName;
        }

        output.WriteLine($"  \"{ApiOptions.SectionName}\": {{ \"Tokens\": {{ {JsonSerializer.Serialize(name)}: {JsonSerializer.Serialize(json, TokenJsonContext.Default.DictionaryStringObject)} }} }}");
        return 0;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object?>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<string>))]
internal sealed partial class TokenJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
