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

        return JsonText.Write(roles, static (writer, roles) =>
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
        });
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
