using System.Text.Json;
using Bot.Core.Effects;
using Bot.Core.Escalation;

namespace Bot.Paging.Local;

/// <summary>
/// SMS, calls and e-mails on one machine, beside the local chat (no Slack configured): each page is a JSON line in
/// <c>&lt;Paging:LocalDirectory&gt;/pages.jsonl</c> (default <c>data/pages</c>), keyed like the job so a retry writes
/// nothing twice. Only in local mode: with Slack on, a channel whose provider is missing fails for good, on the timeline.
/// </summary>
public sealed class LocalPager(string channel, string directory, TimeProvider time) : INotifier
{
    private static readonly Lock Gate = new();

    /// <summary>The keys each file holds, read from it once: a page is written once however often its job runs.</summary>
    private static readonly Dictionary<string, HashSet<string>> Written = new(StringComparer.Ordinal);

    public string Channel => channel;

    public Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, "pages.jsonl");
        lock (Gate)
        {
            // One stat a page; the file is read only when first seen (or when a new replay removed it).
            if (!Written.TryGetValue(file, out var keys) || !File.Exists(file))
            {
                Directory.CreateDirectory(directory);
                keys = File.Exists(file)
                    ? [.. File.ReadLines(file).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("key").GetString()!)]
                    : [];
                Written[file] = keys;
            }

            if (!keys.Add(run.Key))
            {
                return Task.CompletedTask;
            }

            var line = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["at"] = time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["channel"] = channel,
                ["to"] = message.Address,
                ["user"] = message.User,
                ["text"] = message.Text,
                ["key"] = run.Key,
            });
            File.AppendAllText(file, line + "\n");
        }

        return Task.CompletedTask;
    }
}
