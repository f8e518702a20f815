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
        buffer.ResetWrittenCount();
        Append(value, write, buffer);
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 64 * 1024)
        {
            (_buffer, _writer) = (null, null); // a rare large value does not stay in memory
        }

        return text;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as UTF-8 at the end of <paramref name="arena"/>, for a statement that binds it
    /// before the arena is reset (<see cref="Utf8Text"/>): no string is made of it.
    /// </summary>
    public static Utf8Text WriteUtf8<T>(T value, Action<Utf8JsonWriter, T> write, ArrayBufferWriter<byte> arena)
    {
        var start = arena.WrittenCount;
        Append(value, write, arena);
        return new Utf8Text(arena, start, arena.WrittenCount - start);
    }

    private static void Append<T>(T value, Action<Utf8JsonWriter, T> write, ArrayBufferWriter<byte> to)
    {
        var writer = _writer ??= new Utf8JsonWriter(to);
        writer.Reset(to);
        write(writer, value);
        writer.Flush();
    }
}

/// <summary>Text already in UTF-8, where a statement's arena holds it until the statement is bound: a direct statement binds it as it is.</summary>
internal sealed class Utf8Text(ArrayBufferWriter<byte> arena, int start, int length)
{
    public ReadOnlySpan<byte> Span => arena.WrittenSpan.Slice(start, length);
}
