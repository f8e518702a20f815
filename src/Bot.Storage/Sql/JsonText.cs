using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Bot.Storage.Sql;

/// <summary>JSON written straight to the text that a column holds (labels, roles, runbooks).</summary>
internal static class JsonText
{
    // One buffer and writer per thread, reused: the writer thread writes a storm's labels thousands of times a second.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _writer;

    /// <summary>Writes <paramref name="value"/> with <paramref name="write"/> (a static lambda: nothing is captured per call).</summary>
    public static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = _writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        write(writer, value);
        writer.Flush();
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 64 * 1024)
        {
            (_buffer, _writer) = (null, null); // a rare large value does not stay in memory
        }

        return text;
    }
}
