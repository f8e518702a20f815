using System.Text;
using System.Text.Json;
using Bot.Core.Incidents;

namespace Bot.Storage.Sql;

/// <summary>Incident roles as a JSON object: <c>{"comms": ["U123", "alice"]}</c>.</summary>
internal static class RolesJson
{
    public static string Write(IReadOnlyDictionary<string, Actor> roles)
    {
        if (roles.Count == 0)
        {
            return "{}";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (role, actor) in roles)
            {
                writer.WriteStartArray(role);
                writer.WriteStringValue(actor.Id);
                writer.WriteStringValue(actor.Name);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static IEnumerable<KeyValuePair<string, Actor>> Read(string json)
    {
        if (json == "{}")
        {
            return [];
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, new Actor(p.Value[0].GetString()!, p.Value[1].GetString()!)))
            .ToList();
    }
}
