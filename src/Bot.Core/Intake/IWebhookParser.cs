namespace Bot.Core.Intake;

/// <summary>Turns one webhook body of one format into an <see cref="AlertBatch"/>. Pure: no I/O, no clock.</summary>
public interface IWebhookParser
{
    /// <summary>The format name used in configuration (<c>alertmanager</c>, <c>grafana</c>, <c>generic</c>).</summary>
    string Format { get; }

    /// <param name="body">The raw UTF-8 JSON body.</param>
    /// <param name="source">The source name, carried into the batch.</param>
    /// <param name="now">Used only where the payload omits a time the model needs.</param>
    /// <exception cref="WebhookFormatException">The body is malformed or misses a required field.</exception>
    AlertBatch Parse(ReadOnlySpan<byte> body, string source, DateTimeOffset now);
}
