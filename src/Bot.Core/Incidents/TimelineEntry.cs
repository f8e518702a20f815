namespace Bot.Core.Incidents;

/// <summary>
/// One line of an incident's timeline: when it happened (UTC), what kind of event, who, and the text.
/// Entries are never edited: a correction is a new entry.
/// </summary>
public sealed record TimelineEntry(DateTimeOffset At, TimelineKind Kind, Actor Author, string Text)
{
    /// <summary>What happened, as <see cref="Bot.Core.Text.SafeText.Clean"/> leaves it: entries quote alerts and people.</summary>
    public string Text { get; init; } = Bot.Core.Text.SafeText.Clean(Text);

    /// <summary>When the bot wrote the entry (set by the store when read back); <see cref="At"/> is when it happened.</summary>
    public DateTimeOffset? RecordedAt { get; init; }

    /// <summary>Its number in the store, in the order recorded (set by the store when read back; 0 before).</summary>
    public long Id { get; init; }
}
