using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Escalation;

/// <summary>
/// A team's hand-off at <see cref="Due"/> (Unix ms): the team's on-call user group set to whoever is on call, and (when
/// <see cref="Announce"/>) a message to the person whose shift starts and to the one whose shift ended. Each hand-off
/// asks for the next, at the end of the shift it started.
/// </summary>
public sealed record HandoffJob(string Team, long Due, bool Announce) : IDelayedJob, IJob<HandoffJob>
{
    public static string Kind => "escalation.handoff";

    public static string Description => "hand the on-call shift over";

    public static JsonTypeInfo<HandoffJob> Json => EscalationJsonContext.Default.HandoffJob;

    [JsonIgnore]
    public string Key => $"handoff:{Team}:{Due}{(Announce ? "" : ":sync")}";

    [JsonIgnore]
    public string OrderingKey => Key; // its own: a hand-off waiting for its time must not hold back one due now (an override's)

    [JsonIgnore]
    public DateTimeOffset DueAt => DateTimeOffset.FromUnixTimeMilliseconds(Due);
}

/// <summary>
/// The team's on-call group synced now, once per shift (<see cref="ShiftEnd"/>, Unix ms, keys it): a start in the middle
/// of a shift needs no hand-off message, but the group may be stale.
/// </summary>
public sealed record SyncJob(string Team, long ShiftEnd) : IJob<SyncJob>
{
    public static string Kind => "escalation.oncall_sync";

    public static string Description => "set the on-call user group";

    public static JsonTypeInfo<SyncJob> Json => EscalationJsonContext.Default.SyncJob;

    [JsonIgnore]
    public string Key => $"handoff:{Team}:sync:{ShiftEnd}";

    [JsonIgnore]
    public string OrderingKey => Key;
}

/// <summary>Sets the team's on-call group to whoever is on call now.</summary>
public sealed class SyncHandler(IEscalationReads reads, TimeProvider time, IChat chat, IOptions<EscalationOptions> options) : IJobHandler<SyncJob>
{
    public async Task HandleAsync(SyncJob job, EffectJob run, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (options.Value.Teams.TryGetValue(job.Team, out var team) && team.OnCallUserGroup is { Length: > 0 } group
            && OnCall.Who(team, now, await reads.ListOverridesAsync(job.Team, now, cancellationToken)) is { } shift)
        {
            await chat.SetGroupMembersAsync(group, [shift.User], cancellationToken);
        }
    }
}

/// <summary>Starts and continues the chain of hand-offs of each team with a rotation, an on-call user group or overrides.</summary>
public static class Handoffs
{
    /// <summary>
    /// At start (or when an override is taken): the team's group synced now (once per shift: the job is keyed by the
    /// shift's end) and its next hand-off asked for. Replicas and restarts ask for the same keys: nothing is done twice.
    /// </summary>
    public static void Schedule(IEscalationSession s, string team, TeamOptions options)
    {
        if (OnCall.Who(options, s.Now, s.GetOverrides(team, s.Now)) is not { } shift)
        {
            return;
        }

        var end = shift.Until?.ToUnixTimeMilliseconds();
        s.Enqueue(new SyncJob(team, end ?? 0));
        if (end is { } next)
        {
            s.Enqueue(new HandoffJob(team, next, Announce: true));
        }
    }
}

/// <summary>Runs a hand-off: the on-call group, the shift messages, the next hand-off.</summary>
public sealed class HandoffHandler(IEscalationReads reads, IUnitOfWork<IEscalationSession> store, TimeProvider time, IChat chat, IOptions<EscalationOptions> options) : IJobHandler<HandoffJob>
{
    public async Task HandleAsync(HandoffJob job, EffectJob run, CancellationToken cancellationToken)
    {
        if (!options.Value.Teams.TryGetValue(job.Team, out var team))
        {
            return; // no longer configured: the chain ends
        }

        var now = time.GetUtcNow();
        var taken = await reads.ListOverridesAsync(job.Team, job.DueAt - TimeSpan.FromDays(31), cancellationToken);
        var current = OnCall.Who(team, now, taken);
        var previous = job.Announce ? OnCall.Who(team, job.DueAt - TimeSpan.FromSeconds(1), taken) : null;
        if (team.OnCallUserGroup is { Length: > 0 } group && current is not null)
        {
            await chat.SetGroupMembersAsync(group, [current.User], cancellationToken);
        }

        if (job.Announce && team.ShiftMessages && previous?.User != current?.User)
        {
            var until = current?.Until is { } end ? $" until {end.UtcDateTime:yyyy-MM-dd HH:mm} UTC" : "";
            if (current is not null)
            {
                await chat.DirectMessageAsync(current.User, new ChatMessage($"Your on-call shift for {job.Team} starts now{until}{(current.Override ? " (an override)" : "")}."), $"{run.Key}:start", cancellationToken);
            }

            if (previous is not null)
            {
                var next = current is null ? "nobody is on call now" : $"{ChatMarkup.User(current.User)} is on call now";
                await chat.DirectMessageAsync(previous.User, new ChatMessage($"Your on-call shift for {job.Team} has ended; {next}."), $"{run.Key}:end", cancellationToken);
            }
        }

        if (current?.Until is { } following && following > job.DueAt)
        {
            await store.WriteAsync(s => s.Enqueue(new HandoffJob(job.Team, following.ToUnixTimeMilliseconds(), Announce: true)), cancellationToken);
        }
    }
}
