using System.Text.Json;
using Bot.Core.Effects;

namespace Bot.Core.Incidents;

/// <summary>The payload of chat jobs: the incident and, for digests, the window (Unix milliseconds).</summary>
/// <param name="Text">For plain posts: the message.</param>
/// <param name="Announce">For plain posts: to the incidents channel instead of the incident's own.</param>
/// <param name="Task">For task jobs: the task's number within the incident.</param>
public sealed record ChatPayload(long Incident, long? From = null, long? To = null, string? Text = null, bool Announce = false, int? Task = null)
{
    public static string For(long incident, long? from = null, long? to = null) =>
        JsonSerializer.Serialize(new ChatPayload(incident, from, to), CoreJsonContext.Default.ChatPayload);

    public static string Post(long incident, string text, bool announce) =>
        JsonSerializer.Serialize(new ChatPayload(incident, Text: text, Announce: announce), CoreJsonContext.Default.ChatPayload);

    public static string ForTask(long incident, int task) =>
        JsonSerializer.Serialize(new ChatPayload(incident, Task: task), CoreJsonContext.Default.ChatPayload);

    public static ChatPayload Read(string payload) =>
        JsonSerializer.Deserialize(payload, CoreJsonContext.Default.ChatPayload)
        ?? throw new PermanentEffectException("The job's payload is empty.");
}
