using System.Text.Json;
using System.Text.Json.Serialization;
using Bot.Core.Alerts;

namespace Bot.Core.Intake;

/// <summary>
/// An alert's labels or annotations as sent: the JSON object's names and string values, read straight into the array
/// its <see cref="LabelSet"/> then keeps (a dictionary first cost a storm's webhook ten of them), the recurring names
/// and values shared (<see cref="RecurringText"/>). A value that is not a string is kept out and remembered, so the
/// parser can name the alert and the field in its refusal.
/// </summary>
[JsonConverter(typeof(Converter))]
internal sealed class WirePairs(KeyValuePair<string, string>[] pairs, int count, (string Name, string Kind)? refused)
{
    /// <summary>The first pair whose value is not a string: its name and what it is instead (null, a number...).</summary>
    public (string Name, string Kind)? Refused => refused;

    /// <summary>The set, made once: it takes the array over.</summary>
    public LabelSet ToLabelSet() => LabelSet.Own(pairs, count);

    public sealed class Converter : JsonConverter<WirePairs>
    {
        public override WirePairs Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("Labels and annotations are a JSON object of names and string values.");
            }

            var pairs = new KeyValuePair<string, string>[8];
            var count = 0;
            (string, string)? refused = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = RecurringText.Read(ref reader);
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    refused ??= (name, Kind(reader.TokenType));
                    reader.Skip();
                    continue;
                }

                if (count == pairs.Length)
                {
                    Array.Resize(ref pairs, count * 2);
                }

                pairs[count++] = KeyValuePair.Create(name, RecurringText.Read(ref reader));
            }

            return new WirePairs(pairs, count, refused);
        }

        public override void Write(Utf8JsonWriter writer, WirePairs value, JsonSerializerOptions options) =>
            throw new NotSupportedException("Webhooks are read, never written.");

        private static string Kind(JsonTokenType token) => token switch
        {
            JsonTokenType.Null => "null",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.StartObject => "an object",
            _ => "an array",
        };
    }
}
