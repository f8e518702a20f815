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

    public string Channel => channel;

    public Task SendAsync(NotifyMessage message, EffectJob run, CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, "pages.jsonl");
        lock (Gate)
        {
            Directory.CreateDirectory(directory);
            if (File.Exists(file) && File.ReadLines(file).Any(l => l.Contains($"\"key\":{JsonSerializer.Serialize(run.Key)}", StringComparison.Ordinal)))
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
