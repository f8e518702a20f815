using System.Text;
using System.Text.Json;

namespace Bot.Storage.Sql;

/// <summary>JSON written straight to the text that a column holds (labels, roles, runbooks).</summary>
internal static class JsonText
{
    /// <summary>Writes <paramref name="value"/> with <paramref name="write"/> (a static lambda: nothing is captured per call).</summary>
    public static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
