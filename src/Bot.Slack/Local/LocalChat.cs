using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bot.Core.Chat;
using Bot.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.Slack.Local;

/// <summary>
/// A chat that lives in files: each channel is a JSON-lines log under <see cref="LocalChatOptions.Directory"/>
/// (<c>channels.jsonl</c> lists the channels), and every message is also written to the application log. It
/// honours idempotency keys across restarts: a call repeated with the same key returns the first result.
/// </summary>
public sealed partial class LocalChat : IChat
{
    private const string ChannelsFile = "channels.jsonl";
    private const string AppendLockFile = ".append.lock";
    private static readonly TimeSpan AppendLockWait = TimeSpan.FromSeconds(10);
    private readonly string _directory;
    private readonly string _incidentsChannel;
    private readonly Dictionary<string, List<string>> _userGroups;
    private readonly TimeProvider _time;
    private readonly ILogger<LocalChat> _log;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LocalChatRecord> _byKey = new(StringComparer.Ordinal);
    private readonly HashSet<string> _channels = new(StringComparer.Ordinal);
    private long _sequence;

    public LocalChat(IOptions<LocalChatOptions> options, TimeProvider time, ILogger<LocalChat> log)
    {
        _directory = Path.GetFullPath(options.Value.Directory);
        _incidentsChannel = options.Value.IncidentsChannel;
        _userGroups = options.Value.UserGroups;
        _time = time;
        _log = log;
        try
        {
            Directory.CreateDirectory(_directory);
            Directory.CreateDirectory(Path.Combine(_directory, "keys"));
            foreach (var file in Directory.EnumerateFiles(_directory, "*.jsonl"))
            {
                Load(file);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.BotStartupException(
                $"{LocalChatOptions.SectionName}:{nameof(LocalChatOptions.Directory)} '{options.Value.Directory}' cannot be used: {e.Message}", e);
        }
    }

    public string Folder => _directory;

    /// <summary>
    /// Reads one channel's log. A line that is not a record (the tail of a write cut short by a crash or a full disk) is
    /// skipped with a warning, never a reason not to start; a log that does not end its last line gets its newline, so
    /// that the next record starts a line of its own.
    /// </summary>
    private void Load(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        using (var reader = new StreamReader(stream, leaveOpen: true))
        {
            var number = 0;
            while (reader.ReadLine() is { } line)
            {
                number++;
                if (line.Length == 0)
                {
                    continue;
                }

                if (Read(line) is not { } record)
                {
                    _log.LogWarning("[local chat] {File} line {Line} skipped: not a record", file, number);
                    continue;
                }

                _byKey.TryAdd(record.Key, record);
                _sequence = Math.Max(_sequence, long.TryParse(record.Id.AsSpan(record.Id.LastIndexOf('-') + 1), out var n) ? n : 0);
                if (Path.GetFileName(file) == ChannelsFile)
                {
                    _channels.Add(record.Channel);
                }
            }
        }

        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n')
            {
                stream.WriteByte((byte)'\n');
            }
        }
    }

    /// <summary>A log line's record, or null when the line is not a whole one.</summary>
    private static LocalChatRecord? Read(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, LocalChatJsonContext.Default.LocalChatRecord) is { Key.Length: > 0, Id.Length: > 0, Channel: not null } record
                ? record
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task<ChatChannel> CreateChannelAsync(string name, string topic, string idempotencyKey, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var record = Once(idempotencyKey, () =>
            {
                var unique = name;
                for (var n = 2; _channels.Contains(unique); n++)
                {
                    unique = IncidentChannelName.WithSuffix(name, n);
                }

                return new LocalChatRecord($"C-{++_sequence}", unique, _time.GetUtcNow(), idempotencyKey, $"Channel #{unique} created.", topic);
            });
            return Task.FromResult(new ChatChannel(record.Channel, record.Channel));
        }
    }

    public Task<ChatMessageRef> PostAsync(string channelId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(Post(channelId, message, idempotencyKey));

    public Task<IReadOnlyList<string>> GroupMembersAsync(string groupId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(_userGroups.TryGetValue(groupId, out var members) ? members : []);

    public Task SetGroupMembersAsync(string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _userGroups[groupId] = [.. userIds];
        }

        return Task.CompletedTask;
    }

    public Task<ChatMessageRef> AnnounceAsync(ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(Post(_incidentsChannel, message, idempotencyKey));

    public Task InviteAsync(string channelId, IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var key = $"invite:{channelId}:{string.Join(",", userIds)}";
            Once(key, () => new LocalChatRecord($"I-{++_sequence}", channelId, _time.GetUtcNow(), key, $"Invited {string.Join(", ", userIds.Select(u => $"@{u}"))}."));
        }

        return Task.CompletedTask;
    }

    /// <summary>Direct messages go to <c>dm-&lt;user&gt;.jsonl</c>.</summary>
    public Task<ChatMessageRef> DirectMessageAsync(string userId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult(Post($"dm-{userId}", message, idempotencyKey));

    /// <summary>Appends the new content as an edit of the message (the log keeps every version).</summary>
    public Task UpdateAsync(ChatMessageRef message, ChatMessage content, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var record = new LocalChatRecord(message.MessageId, message.ChannelId, _time.GetUtcNow(), $"edit:{message.MessageId}:{++_sequence}", Render(content), Edited: true);
            Append(FileOf(message.ChannelId), record);
            _log.LogInformation("[local chat] #{Channel} (message {Id} updated): {Text}", message.ChannelId, message.MessageId, record.Text);
        }

        return Task.CompletedTask;
    }

    public Task SetTopicAsync(string channelId, string topic, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var record = new LocalChatRecord($"T-{++_sequence}", channelId, _time.GetUtcNow(), $"topic:{channelId}:{_sequence}", $"Topic: {topic}", topic);
            Append(FileOf(channelId), record);
        }

        return Task.CompletedTask;
    }

    /// <summary>Renders a message as the plain text the log shows.</summary>
    public static string Render(ChatMessage message)
    {
        var sb = new StringBuilder(Plain(message.Text));
        foreach (var field in message.Fields)
        {
            sb.Append('\n').Append(field.Name).Append(": ").Append(Plain(field.Value).Replace("\n", "\n  "));
        }

        if (message.Buttons.Count > 0)
        {
            sb.Append('\n').AppendJoin(' ', message.Buttons.Select(b => $"[{b.Label}]"));
        }

        return sb.ToString();
    }

    /// <summary>The bot's references as a person reads them: <c>@U123</c>, <c>#inc-name</c>.</summary>
    private static string Plain(string text) => ChatMarkup.Plain(text);

    private ChatMessageRef Post(string channel, ChatMessage message, string key)
    {
        lock (_lock)
        {
            var record = Once(key, () => new LocalChatRecord(
                $"M-{++_sequence}", channel, _time.GetUtcNow(), key, Render(message), Pinned: message.Pin,
                Buttons: message.Buttons.Count == 0 ? null : message.Buttons.Select(b => $"{b.Action}:{b.Value}").ToList()));
            return new ChatMessageRef(record.Channel, record.Id);
        }
    }

    /// <summary>
    /// The result of the call with this idempotency key: the one recorded before (by this process or another sharing the
    /// folder), or else the record <paramref name="make"/> makes, claimed across processes and written to its logs.
    /// </summary>
    private LocalChatRecord Once(string key, Func<LocalChatRecord> make)
    {
        if (_byKey.TryGetValue(key, out var record) || DoneElsewhere(key, out record))
        {
            return record;
        }

        record = make();
        if (!Claim(record, out var winner))
        {
            return winner;
        }

        foreach (var file in LogsOf(record))
        {
            Append(file, record);
        }

        Remember(record);
        _log.LogInformation("[local chat] #{Channel}: {Text}", record.Channel, record.Text);
        return record;
    }

    /// <summary>The logs a record is written to: its channel's, and the list of channels for a channel's creation.</summary>
    private static string[] LogsOf(LocalChatRecord record) =>
        record.Id.StartsWith("C-", StringComparison.Ordinal) ? [ChannelsFile, FileOf(record.Channel)] : [FileOf(record.Channel)];

    /// <summary>A channel's name is taken from now on.</summary>
    private void Remember(LocalChatRecord record)
    {
        if (record.Id.StartsWith("C-", StringComparison.Ordinal))
        {
            _channels.Add(record.Channel);
        }
    }

    /// <summary>
    /// Whether another process sharing the folder (a second replica, or one killed after posting and before its outbox
    /// recorded it) already did the call with this idempotency key; its marker holds the result.
    /// </summary>
    private bool DoneElsewhere(string key, [NotNullWhen(true)] out LocalChatRecord? record, bool relog = true)
    {
        record = null;
        var path = MarkerOf(key);
        if (!File.Exists(path))
        {
            return false;
        }

        record = JsonSerializer.Deserialize(File.ReadAllText(path), LocalChatJsonContext.Default.LocalChatRecord)!;
        _byKey[key] = record;
        Remember(record);
        if (relog)
        {
            Relog(record);
        }

        return true;
    }

    /// <summary>
    /// A process killed between claiming a key and writing its record leaves the record out of the logs: the retry
    /// (no one else holds the job: the outbox's lease) writes it where it is missing.
    /// </summary>
    private void Relog(LocalChatRecord record)
    {
        foreach (var file in LogsOf(record))
        {
            var path = Path.Combine(_directory, file);
            var logged = File.Exists(path) && File.ReadLines(path).Any(line => line.Length > 0 && Read(line)?.Key == record.Key);
            if (!logged)
            {
                Append(file, record);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="record"/> the one result of its key across processes: its marker is written aside and
    /// linked into place only if no marker is there (atomic). False, with the other process's record, when one was.
    /// </summary>
    private bool Claim(LocalChatRecord record, out LocalChatRecord winner)
    {
        var path = MarkerOf(record.Key);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(record, LocalChatJsonContext.Default.LocalChatRecord));
        try
        {
            File.Move(temp, path, overwrite: false);
            winner = record;
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            DoneElsewhere(record.Key, out var other, relog: false); // the winner is writing its record right now
            winner = other!;
            return false;
        }
    }

    private string MarkerOf(string key) =>
        Path.Combine(_directory, "keys", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..40].ToLowerInvariant());

    private static string FileOf(string channel) => $"{IncidentChannelName.Slug(channel, IncidentChannelName.MaxLength)}.jsonl";

    /// <summary>
    /// Appends the record's line. .NET's append writes at the end the file had when it was opened (not the kernel's
    /// O_APPEND), so two processes sharing the folder (replicas) appending at once wrote over each other's lines. The
    /// processes take turns through an exclusive lock on a file beside the logs (FileShare.None: a lock the other process
    /// sees, flock on Unix), held for the append only; readers of the logs never wait for it.
    /// </summary>
    private void Append(string file, LocalChatRecord record)
    {
        var line = JsonSerializer.Serialize(record, LocalChatJsonContext.Default.LocalChatRecord) + "\n";
        using (TakeAppendLock())
        {
            File.AppendAllText(Path.Combine(_directory, file), line);
        }

        _byKey[record.Key] = record;
    }

    private FileStream TakeAppendLock()
    {
        var path = Path.Combine(_directory, AppendLockFile);
        var start = _time.GetTimestamp();
        var spin = default(SpinWait);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            }
            catch (IOException e) when (e is not DirectoryNotFoundException && _time.GetElapsedTime(start) < AppendLockWait) // the other process's, for one line's write
            {
                spin.SpinOnce();
            }
        }
    }
}
