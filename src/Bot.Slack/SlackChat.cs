using System.Text;
using System.Text.Json;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Core.Ports;
using Bot.Core.Text;
using Bot.Slack.WebApi;
using Microsoft.Extensions.Options;

namespace Bot.Slack;

/// <summary>
/// The chat port on Slack: incident channels, Block Kit messages with buttons, pins, announcements. Slack's
/// errors become effect outcomes: permanent ones (<see cref="SlackApiException.Permanent"/>) are not retried, a long
/// rate limit asks the outbox to come back after Retry-After, anything else is retried with backoff.
/// </summary>
public sealed class SlackChat(ISlackApiClient slack, IOptions<SlackOptions> options) : IChat
{
    private const int MaxTopic = 250;

    /// <summary>The bot's own user id (<c>auth.test</c>), asked once, the first time a retry needs it.</summary>
    private string? _botUserId;

    public Task<ChatChannel> CreateChannelAsync(string name, string topic, string idempotencyKey, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            Conversation? channel = null;
            for (var n = 1; channel is null; n++)
            {
                var candidate = n == 1 ? name : IncidentChannelName.WithSuffix(name, n);
                try
                {
                    channel = await slack.Conversations.Create(candidate, false, cancellationToken);
                }
                catch (SlackApiException e) when (e.Error == "name_taken" && n < 50)
                {
                    // The name may be taken by the channel an earlier try of this job made before its answer was lost.
                    channel = EffectContext.MayHaveRunBefore ? await OursAsync(candidate, SafeText.Cut(topic, MaxTopic), cancellationToken) : null;
                }
            }

            await slack.Conversations.SetTopic(channel.Id, SafeText.Cut(topic, MaxTopic), cancellationToken);
            if (options.Value.InviteUsers.Count > 0)
            {
                try
                {
                    await slack.Conversations.Invite(channel.Id, options.Value.InviteUsers, cancellationToken);
                }
                catch (SlackApiException e) when (e.Error is "already_in_channel" or "cant_invite_self")
                {
                }
            }

            return new ChatChannel(channel.Id, channel.Name);
        });

    public Task<ChatMessageRef> PostAsync(string channelId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            // Slack takes no idempotency key. Each message carries ours as metadata; a retry (and only a retry: a first
            // try costs nothing extra) looks for the earlier try's message before posting again.
            var outgoing = Render(channelId, message);
            outgoing.IdempotencyKey = idempotencyKey;
            var posted = EffectContext.MayHaveRunBefore && await FindPostedAsync(channelId, idempotencyKey, cancellationToken) is { } earlier
                ? earlier
                : await slack.Chat.PostMessage(outgoing, cancellationToken);
            if (message.Pin)
            {
                try
                {
                    await slack.Pins.AddMessage(posted.Channel, posted.Ts, cancellationToken);
                }
                catch (SlackApiException e) when (e.Error == "already_pinned")
                {
                }
            }

            return new ChatMessageRef(posted.Channel, posted.Ts);
        });

    /// <summary>
    /// The channel of this name if an earlier try of the running job made it: the bot made it, after the job was
    /// enqueued (a minute's allowance for clocks), and its topic is none (the try stopped right after creating it) or the
    /// one this job sets (the try set it, then died before its commit). Any other channel of that name is someone else's,
    /// or another incident's, and the caller moves on to a suffix.
    /// </summary>
    private async Task<Conversation?> OursAsync(string name, string topic, CancellationToken cancellationToken)
    {
        if (EffectContext.Job is not { } job || await slack.Conversations.FindByName(name, cancellationToken) is not { } found)
        {
            return null;
        }

        _botUserId ??= (await slack.Auth.Test(cancellationToken)).UserId;
        return found.Creator == _botUserId && found.Created + TimeSpan.FromMinutes(1) >= job.CreatedAt && (string.IsNullOrEmpty(found.Topic) || found.Topic == topic)
            ? found
            : null;
    }

    private async Task<PostMessageResponse?> FindPostedAsync(string channelId, string idempotencyKey, CancellationToken cancellationToken)
    {
        // A direct message is posted to the user's id; its history is read from the DM channel.
        var channel = channelId.StartsWith('U') || channelId.StartsWith('W') ? await slack.Conversations.OpenDirect(channelId, cancellationToken) : channelId;
        return await slack.Conversations.FindPosted(channel, idempotencyKey, cancellationToken: cancellationToken) is { } ts ? new PostMessageResponse(channel, ts) : null;
    }

    public Task UpdateAsync(ChatMessageRef message, ChatMessage content, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await slack.Chat.Update(message.MessageId, Render(message.ChannelId, content), cancellationToken);
            return true;
        });

    public Task SetTopicAsync(string channelId, string topic, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await slack.Conversations.SetTopic(channelId, SafeText.Cut(topic, MaxTopic), cancellationToken);
            return true;
        });

    public Task InviteAsync(string channelId, IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            try
            {
                await slack.Conversations.Invite(channelId, userIds, cancellationToken);
            }
            catch (SlackApiException e) when (e.Error is "already_in_channel" or "cant_invite_self")
            {
            }

            return true;
        });

    /// <summary>chat.postMessage to the user's id: the message arrives in the app's direct messages with the user.</summary>
    public Task<ChatMessageRef> DirectMessageAsync(string userId, ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        PostAsync(userId, message with { Pin = false }, idempotencyKey, cancellationToken);

    /// <summary><c>usergroups.users.list</c>: a group that does not exist is a permanent error, told on the timeline.</summary>
    public Task<IReadOnlyList<string>> GroupMembersAsync(string groupId, CancellationToken cancellationToken) =>
        Guard(() => slack.UserGroupUsers.List(groupId, cancellationToken));

    public Task SetGroupMembersAsync(string groupId, IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        Guard(async () =>
        {
            await slack.UserGroupUsers.Update(groupId, userIds, cancellationToken);
            return true;
        });

    public Task<ChatMessageRef> AnnounceAsync(ChatMessage message, string idempotencyKey, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(options.Value.IncidentsChannel)
            ? throw new PermanentEffectException("Slack:IncidentsChannel is not set, so there is nowhere to announce.")
            : PostAsync(options.Value.IncidentsChannel, message, idempotencyKey, cancellationToken);

    /// <summary>The most characters of a message's <c>text</c> (Slack: "limit ... to 4,000 characters").</summary>
    public const int MaxText = 4000;

    /// <summary>Block Kit: the text as a section, fields as a section of fields, buttons as an actions block.</summary>
    public static Message Render(string channel, ChatMessage message)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            Section(w, message.Text);
            if (message.Fields.Count > 0)
            {
                w.WriteStartObject();
                w.WriteString("type", "section");
                w.WriteStartArray("fields");
                foreach (var field in message.Fields.Take(10))
                {
                    Text(w, $"*{SlackText.Mrkdwn(field.Name)}*\n{SlackText.Mrkdwn(field.Value)}");
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            if (message.Buttons.Count > 0)
            {
                w.WriteStartObject();
                w.WriteString("type", "actions");
                w.WriteStartArray("elements");
                foreach (var button in message.Buttons)
                {
                    w.WriteStartObject();
                    w.WriteString("type", "button");
                    w.WriteString("action_id", button.Action);
                    w.WriteString("value", button.Value);
                    w.WriteStartObject("text");
                    w.WriteString("type", "plain_text");
                    w.WriteString("text", button.Label);
                    w.WriteEndObject();
                    if (button.Action == IncidentMessages.ResolveAction)
                    {
                        w.WriteString("style", "primary");
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        // The text is what notifications show: escaped like the blocks (an alert's title cannot ping a channel from there
        // either), and kept within the 4,000 characters Slack asks of it.
        var text = SlackText.Mrkdwn(message.Text);
        return new Message
        {
            Channel = channel,
            Text = SafeText.Cut(text, MaxText),
            Blocks = System.Text.Encoding.UTF8.GetString(buffer.ToArray()),
        };
    }

    private static void Section(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "section");
        w.WritePropertyName("text");
        Text(w, SlackText.Mrkdwn(SafeText.Cut(text, 3000)));
        w.WriteEndObject();
    }

    private static void Text(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "mrkdwn");
        w.WriteString("text", SafeText.Cut(text, 2000));
        w.WriteEndObject();
    }

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (SlackApiException e) when (e.IsPermanent)
        {
            throw new PermanentEffectException(e.Message, e);
        }
        catch (SlackApiException e) when (e.RetryAfter is { } after)
        {
            throw new RetryLaterException(e.Message, after);
        }
    }
}
