using System.Text;
using System.Text.Json;
using Bot.Core.Alerts;

namespace Bot.Storage.Sql;

/// <summary>Label sets as compact JSON objects in text columns.</summary>
internal static class LabelJson
{
    public static string Write(LabelSet labels) => JsonText.Write(labels, WriteObject);

    /// <summary>As <see cref="Write(LabelSet)"/>, into an arena's UTF-8 (a direct statement's value).</summary>
    public static Utf8Text WriteUtf8(LabelSet labels, System.Buffers.ArrayBufferWriter<byte> arena) => JsonText.WriteUtf8(labels, WriteObject, arena);

    private static void WriteObject(Utf8JsonWriter writer, LabelSet labels)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in labels)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    public static LabelSet Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var pairs = new List<KeyValuePair<string, string>>();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            pairs.Add(new(name, reader.GetString() ?? ""));
        }

        return LabelSet.From(pairs);
    }
}
