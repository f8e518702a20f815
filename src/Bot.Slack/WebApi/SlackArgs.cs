using System.Text;
using System.Text.Json;

namespace Bot.Slack.WebApi;

/// <summary>A Web API call's arguments, in Slack's snake_case names. Values: string, bool, int, or raw JSON.</summary>
public sealed class SlackArgs : List<KeyValuePair<string, object?>>
{
    public SlackArgs Add(string name, object? value)
    {
        if (value is not null)
        {
            Add(KeyValuePair.Create(name, (object?)value));
        }

        return this;
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in this)
            {
                writer.WritePropertyName(name);
                switch (value)
                {
                    case RawJson raw:
                        writer.WriteRawValue(raw.Json);
                        break;
                    case bool b:
                        writer.WriteBooleanValue(b);
                        break;
                    case int n:
                        writer.WriteNumberValue(n);
                        break;
                    default:
                        writer.WriteStringValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public string ToQuery() =>
        string.Join("&", this.Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value switch
        {
            RawJson raw => raw.Json,
            bool b => b ? "true" : "false",
            _ => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        })}"));

    public override string ToString() => Encoding.UTF8.GetString(ToJson());
}

/// <summary>An argument that is already JSON (Block Kit blocks, views).</summary>
public sealed record RawJson(string Json);
