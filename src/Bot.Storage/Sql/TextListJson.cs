using System.Text.Json;

namespace Bot.Storage.Sql;

/// <summary>A short list of texts as a JSON array in a text column: <c>["https://runbooks/db"]</c>.</summary>
internal static class TextListJson
{
    public static string Write(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0)
        {
            return "[]";
        }

        return JsonText.Write(texts, static (writer, texts) =>
        {
            writer.WriteStartArray();
            foreach (var text in texts)
            {
                writer.WriteStringValue(text);
            }

            writer.WriteEndArray();
        });
    }

    /// <summary>As <see cref="Read"/>; null for a NULL column.</summary>
    public static IReadOnlyList<string>? ReadOrNull(string? json) => json is null ? null : Read(json);

    public static IReadOnlyList<string> Read(string json)
    {
        if (json == "[]")
        {
            return [];
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
    }
}
