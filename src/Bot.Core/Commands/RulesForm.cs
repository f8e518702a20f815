namespace Bot.Core.Commands;

/// <summary>
/// A form's two fields of notification rules, as the chat's and the console's forms ask them: every incident's and
/// SEV1-2's, each in <c>/incident notify</c>'s words (<c>chat, sms 2m, email 5m</c>), a field left empty keeping its rules.
/// </summary>
public static class RulesForm
{
    public const string Everyday = "everyday";
    public const string Important = "important";

    /// <summary>The commands the fields given stand for (<c>notify ...</c>, then <c>notify important ...</c>), each with its field; none when both are empty.</summary>
    public static IReadOnlyList<(string Field, string Command)> Commands(string? everyday, string? important)
    {
        var commands = new List<(string, string)>();
        if (everyday?.Trim() is { Length: > 0 } e)
        {
            commands.Add((Everyday, $"notify {e}"));
        }

        if (important?.Trim() is { Length: > 0 } i)
        {
            commands.Add((Important, $"notify important {i}"));
        }

        return commands;
    }

    /// <summary>
    /// Runs <paramref name="asked"/> in turn as one person: the last one's answer, or the first refused one's with the
    /// field it came from, saying what the fields before it saved (each field's command saves on its own).
    /// </summary>
    public static async Task<(CommandReply Reply, string Field)> SaveAsync(
        IncidentCommands commands, IReadOnlyList<(string Field, string Command)> asked, CommandContext context, CancellationToken cancellationToken = default)
    {
        var saved = new List<string>();
        CommandReply? reply = null;
        foreach (var (field, command) in asked)
        {
            reply = await commands.ExecuteAsync(command, context, cancellationToken);
            if (!reply.Ok)
            {
                return (saved.Count == 0 ? reply : reply with { Text = $"{reply.Text} ({string.Join(", ", saved)} saved)" }, field);
            }

            saved.Add(field == Everyday ? "every incident's rules" : "SEV1 and SEV2's rules");
        }

        return (reply ?? throw new ArgumentException("No rules were given.", nameof(asked)), asked[^1].Field);
    }
}
