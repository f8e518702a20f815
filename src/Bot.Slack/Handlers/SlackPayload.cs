using System.Text.Json;

namespace Bot.Slack.Handlers;

/// <summary>
/// A signed payload from Slack, read strictly before any handler sees it: JSON whose every name and text is valid
/// UTF-16 (a JSON escape such as <c>\ud800</c> alone is not; reading it would throw deep in a handler). A payload that
/// is not gets <see cref="SlackPayloadException"/>, answered 400 saying where; Slack's own payloads always pass.
/// </summary>
public static class SlackPayload
{
    /// <summary>Parses and checks the payload; the caller disposes the document.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new SlackPayloadException($"Malformed JSON: {e.Message}");
        }

        try
        {
            Check(doc.RootElement, "$");
            return doc;
        }
        catch
        {
            doc.Dispose();
            throw;
        }
    }

    /// <inheritdoc cref="Parse(ReadOnlyMemory{byte})"/>
    public static JsonDocument Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    private static void Check(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = Text(() => property.Name, path);
                    Check(property.Value, $"{path}.{name}");
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Check(item, $"{path}[{i++}]");
                }

                break;
            case JsonValueKind.String:
                Text(element.GetString, path);
                break;
        }
    }

    private static string Text(Func<string?> read, string path)
    {
        try
        {
            return read() ?? "";
        }
        catch (InvalidOperationException)
        {
            throw new SlackPayloadException($"The text at {path} is not valid UTF-16 (an unpaired surrogate).");
        }
    }
}

/// <summary>A signed Slack payload that is not what Slack sends: the request gets 400 with this message.</summary>
public sealed class SlackPayloadException(string message) : Exception(message);
