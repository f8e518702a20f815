using Bot.Core.Incidents;
using Bot.Core.Ports;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Logging;

namespace Bot.Slack.Handlers;

/// <summary>
/// A message in an incident channel that gets the :pushpin: reaction goes on the timeline, with its author and its
/// original time (the message's ts). The same message pinned twice (or an event Slack delivers twice) is kept once.
/// </summary>
public sealed class PinnedMessageHandler(IIncidentReads reads, IUnitOfWork<IIncidentSession> store, ISlackApiClient slack, SlackPeople people, ILogger<PinnedMessageHandler> log) : IEventHandler<ReactionAdded>
{
    /// <summary>The reaction that puts a message on the timeline.</summary>
    public const string Reaction = "pushpin";

    public async Task Handle(ReactionAdded slackEvent)
    {
        if (slackEvent.Reaction != Reaction || !SlackTimestamp.TryParse(slackEvent.MessageTs, out var at) || await reads.FindIncidentByChannelAsync(slackEvent.Channel) is not { } incident)
        {
            return;
        }

        var message = await slack.Conversations.Message(slackEvent.Channel, slackEvent.MessageTs);
        if (message is null || string.IsNullOrWhiteSpace(message.Text))
        {
            log.LogInformation("Pinned message {Ts} in {Channel} has no text; nothing to add", slackEvent.MessageTs, slackEvent.Channel);
            return;
        }

        var authorId = message.User ?? slackEvent.ItemUser;
        var author = await people.ActorAsync(authorId, null);
        var text = await ReadableAsync(message.Text.Trim());
        await store.WriteAsync(s => s.AppendTimelineOnce(incident.Number, new TimelineEntry(at, TimelineKind.Note, author, text)));
    }

    /// <summary>The message as people read it: its mentions by the names Slack gives those people (a message's carry only their ids).</summary>
    private async Task<string> ReadableAsync(string text)
    {
        var read = SlackText.FromSlack(text);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in Bot.Core.Commands.CommandParser.MentionedIds(read))
        {
            names[id] = (await people.ActorAsync(id, null)).Name;
        }

        return Bot.Core.Commands.CommandParser.ReadableMentions(read, id => names.GetValueOrDefault(id))!;
    }
}
