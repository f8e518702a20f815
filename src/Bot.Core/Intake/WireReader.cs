using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Alerts;

namespace Bot.Core.Intake;

/// <summary>Shared helpers for the parsers: JSON errors and field checks worded for the sender.</summary>
internal static class WireReader
{
    public static T Deserialize<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        if (body.IsEmpty)
        {
            throw new WebhookFormatException("The body is empty; a JSON object was expected.");
        }

        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new WebhookFormatException("The body is JSON null; a JSON object was expected.");
        }
        catch (JsonException e)
        {
            var where = e.Path is null or "$" ? "" : $" at {e.Path}";
            throw new WebhookFormatException(
                $"Malformed JSON{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}");
        }
    }

    /// <summary>Labels or annotations as sent: a name with a null value is refused (JSON allows it; a label cannot be null).</summary>
    public static LabelSet Pairs(Dictionary<string, string>? pairs, WirePath path)
    {
        try
        {
            return LabelSet.From(pairs);
        }
        catch (NullLabelValueException e)
        {
            throw new WebhookFormatException($"{path}.{e.Name} is null; label and annotation values must be strings.");
        }
    }

    /// <summary>Labels or annotations as sent: a name whose value is not a string (JSON allows it; a label cannot be) is refused.</summary>
    public static LabelSet Pairs(WirePairs? pairs, WirePath path) =>
        pairs is null ? LabelSet.Empty
        : pairs.Refused is var (name, kind) ? throw new WebhookFormatException($"{path}.{name} is {kind}; label and annotation values must be strings.")
        : pairs.ToLabelSet();

    public static string Required(string? value, WirePath path) =>
        string.IsNullOrWhiteSpace(value) ? throw new WebhookFormatException($"{path} is required.") : value;

    public static AlertStatus Status(string? value, WirePath path) => value?.ToLowerInvariant() switch
    {
        "firing" => AlertStatus.Firing,
        "resolved" => AlertStatus.Resolved,
        null or "" => throw new WebhookFormatException($"{path} is required (firing or resolved)."),
        _ => throw new WebhookFormatException($"{path} is '{value}'; expected firing or resolved."),
    };

    /// <summary>RFC 3339 with or without a fraction. Go's zero time (0001-01-01T00:00:00Z) and empty mean "none".</summary>
    public static DateTimeOffset? Time(string? value, WirePath path)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!Rfc3339.TryRead(value, out var time)
            && (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
                || value.Length < 10 || value[4] != '-'))
        {
            throw new WebhookFormatException($"{path} is '{value}', which is not an RFC 3339 time.");
        }

        return time.Year <= 1 ? null : time;
    }

    public static DateTimeOffset RequiredTime(string? value, WirePath path) =>
        Time(value, path) ?? throw new WebhookFormatException($"{path} is required.");

    private static string FirstSentence(string message)
    {
        var i = message.IndexOf(". ", StringComparison.Ordinal);
        return i < 0 ? message : message[..(i + 1)];
    }
}

/// <summary>
/// Where a field is in a payload, as an error names it (<c>version</c>, <c>alerts[3].labels</c>): spelt out only when
/// an error needs it, not for every field of every alert read.
/// </summary>
internal readonly struct WirePath(string field, string? list = null, int index = 0)
{
    public static implicit operator WirePath(string field) => new(field);

    /// <summary>The field <paramref name="field"/> of item <paramref name="index"/> of the array <paramref name="list"/>.</summary>
    public static WirePath Item(string list, int index, string field) => new(field, list, index);

    public override string ToString() => list is null ? field : $"{list}[{index}].{field}";
}
