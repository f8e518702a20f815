using System.Text.Json;

namespace Bot.Core.Intake;

/// <summary>
/// Strings read from webhooks that come again and again (label names, and most values: <c>alertname</c>,
/// <c>severity</c>, <c>team</c>...), made once and shared: a storm's webhook made seventy of them, each a new string.
/// A small table, each slot holding the last short string read there with its UTF-8 bytes; a string is shared only
/// when its bytes are the same, so a collision costs a new string, never a wrong one. Any thread may read and replace a
/// slot: an entry is never changed, only swapped whole.
/// </summary>
internal static class RecurringText
{
    private const int Slots = 1024; // a power of two
    private const int MaxBytes = 64;
    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>The reader's string value (or property name), shared when it was read before.</summary>
    public static string Read(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxBytes)
        {
            return reader.GetString()!;
        }

        var utf8 = reader.ValueSpan;
        var hash = new HashCode();
        hash.AddBytes(utf8);
        ref var slot = ref Table[hash.ToHashCode() & (Slots - 1)];
        if (Volatile.Read(ref slot) is { } known && utf8.SequenceEqual(known.Utf8))
        {
            return known.Text;
        }

        var text = reader.GetString()!;
        Volatile.Write(ref slot, new Entry(utf8.ToArray(), text));
        return text;
    }

    private sealed record Entry(byte[] Utf8, string Text);
}
