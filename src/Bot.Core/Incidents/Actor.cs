namespace Bot.Core.Incidents;

/// <summary>Who did something: a person (chat user id and display name), a webhook source, or the bot itself.</summary>
public sealed record Actor(string Id, string Name)
{
    public static readonly Actor Bot = new("bot", "Incident bot");

    public static Actor Source(string source) => new($"source:{source}", source);
}
