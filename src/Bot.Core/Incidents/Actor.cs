namespace Bot.Core.Incidents;

/// <summary>Who did something: a person (chat user id and display name), a webhook source, or the bot itself.</summary>
/// <remarks>Both are kept as <see cref="Text.SafeText.Clean"/> leaves them: a display name comes from outside.</remarks>
public sealed record Actor(string Id, string Name)
{
    public string Id { get; init; } = Text.SafeText.Clean(Id);

    public string Name { get; init; } = Text.SafeText.Clean(Name);

    public static readonly Actor Bot = new("bot", "Incident bot");

    public static Actor Source(string source) => new($"source:{source}", source);
}
