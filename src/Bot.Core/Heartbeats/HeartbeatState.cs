namespace Bot.Core.Heartbeats;

/// <param name="LastBeatAt">The last beat, or when the bot first watched for one.</param>
/// <param name="Missed">Whether its incident's alert is firing (a beat resolves it).</param>
/// <param name="CheckKey">The key of the outbox job that checks it next (rescheduled at each beat).</param>
public sealed record HeartbeatState(string Name, DateTimeOffset LastBeatAt, bool Missed, string? CheckKey);
