using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Options;

namespace Bot.Core.Commands;

/// <summary>
/// A person answering a page outside chat (an SMS reply, an e-mail's link): who they are, and the acknowledgement of
/// the incident that paged them, as their <c>/incident ack</c> would (it stops the rest of their rules and the escalation).
/// </summary>
public sealed class PageReplies(IIncidentReads reads, IUnitOfWork<IEscalationSession> store, IncidentCommands commands, IOptions<EscalationOptions> options)
{
    /// <summary>The person with this phone number (<c>People:&lt;id&gt;:Phone</c>), or null.</summary>
    public string? UserByPhone(string phone) =>
        options.Value.People.FirstOrDefault(p => string.Equals(p.Value.Phone, phone.Trim(), StringComparison.Ordinal)).Key;

    /// <summary>
    /// Acknowledges the newest open incident whose escalation paged <paramref name="user"/> and waits for their answer (or
    /// <paramref name="incident"/>, when the reply names one); the answer says what happened, for the reply.
    /// </summary>
    public async Task<CommandReply> AcknowledgeAsync(string user, string via, long? incident = null, CancellationToken cancellationToken = default)
    {
        var actor = new Actor(user, $"{options.Value.NameOf(user)} (by {via})");
        var number = incident ?? await LatestPageOfAsync(user, cancellationToken);
        if (number is null)
        {
            return new CommandReply(CommandOutcome.NotFound, "Nothing to acknowledge: no incident waiting for an acknowledgement paged you.");
        }

        return await commands.ExecuteAsync("ack", new CommandContext(actor, number), cancellationToken);
    }

    private async Task<long?> LatestPageOfAsync(string user, CancellationToken cancellationToken)
    {
        // Open incidents, newest first, where an escalation that paged them still waits (another team may have acknowledged).
        var open = await reads.ListIncidentsAsync(new IncidentQuery(null, true, 50), cancellationToken);
        return await store.WriteAsync(
            s => open.Select(i => (long?)i.Number).FirstOrDefault(n => s.GetEscalations(n!.Value).Any(e =>
                e.Paged.Contains(user, StringComparer.Ordinal) && e.Status is EscalationState.Active or EscalationState.Exhausted)),
            cancellationToken);
    }
}
