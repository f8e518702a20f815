using Bot.Core.Effects;
using Bot.Core.Incidents;
using Bot.Core.Reports;

namespace Bot.WebConsole;

/// <summary>
/// What the console says at the top of every page while the bot's work is held: each lane whose oldest job not done
/// (waiting, running, or failing try after try, from when it first fell due: <see cref="StoreStats.OldestUndoneByLane"/>)
/// has waited <see cref="ConsoleOptions.HeldPagesAfter"/> (the paging lanes and the bot's timers) or
/// <see cref="ConsoleOptions.HeldWorkAfter"/> (the default lane: channels, messages, GitHub; the summaries' lane), the
/// thresholds of the alert rules <c>IncidentBotPagesHeld</c> and <c>IncidentBotEffectsHeld</c>. So people outside the channel, away from the
/// dashboards, learn that responders may not have been reached. Read from the counts the gauges last took.
/// </summary>
internal static class HeldWork
{
    /// <param name="Lane">The lane's name, as the gauges tag it.</param>
    public sealed record Notice(string Lane, TimeSpan HeldFor, string Text);

    /// <summary>The lanes held, pages and timers first, each longest held first.</summary>
    public static IReadOnlyList<Notice> Find(StoreStats? stats, DateTimeOffset now, ConsoleOptions options) =>
        stats is null ? [] :
        [
            .. stats.OldestUndoneByLane
                .Select(l => (l.Lane, Age: now - l.DueAt, IsWork: JobLanes.Named(l.Lane) is JobLane.Default or JobLane.Summaries))
                .Where(l => l.Age >= (l.IsWork ? options.HeldWorkAfter : options.HeldPagesAfter))
                .OrderBy(l => l.IsWork).ThenByDescending(l => l.Age)
                .Select(l => new Notice(l.Lane, l.Age, Say(l.Lane, IncidentReport.Format(l.Age)))),
        ];

    private const string TriedAgain = "The bot tries again until they go out.";

    private static string Say(string lane, string age) => JobLanes.Named(lane) switch
    {
        JobLane.Phone => $"Pages by SMS and phone call have waited {age} to go out: the phone provider answers slowly, not at all or with errors. Responders may not have been reached: call them another way. {TriedAgain}",
        JobLane.Email => $"Pages by e-mail have waited {age} to go out: the mail server answers slowly, not at all or with errors. Responders may not have been reached. {TriedAgain}",
        JobLane.ChatPaging => $"Pages by chat (direct messages, group mentions) have waited {age} to go out: the chat service answers slowly, not at all or with errors. Responders may not have been reached. {TriedAgain}",
        JobLane.Webhooks => $"Outgoing webhooks have waited {age} to be delivered: their endpoints answer slowly, not at all or with errors. {TriedAgain}",
        JobLane.Timers => $"The bot's timers (escalation steps, heartbeat checks) are {age} late: its outbox worker is stuck or the store is slow. Escalations may not move on to their next step.",
        JobLane.Default => $"Incident channels, messages and GitHub issues and pull requests have waited {age}: the chat service or GitHub answers slowly, not at all or with errors. Responders may be without their channel. {TriedAgain}",
        JobLane.Summaries => $"The incidents' pinned summaries have waited {age} to be brought up to date: the chat service answers slowly, not at all or with errors. Read an incident's state here. {TriedAgain}",
        _ => $"The bot's {lane} work has waited {age}.", // a newer version's lane, during a rolling upgrade
    };
}
