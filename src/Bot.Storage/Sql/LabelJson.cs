using System.Text;
using System.Text.Json;
using Bot.Core.Alerts;

namespace Bot.Storage.Sql;

/// <summary>Label sets as compact JSON objects in text columns.</summary>
internal static class LabelJson
{
    public static string Write(LabelSet labels)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in labels)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
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
