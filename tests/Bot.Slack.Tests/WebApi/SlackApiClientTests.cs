using Bot.TestKit;
using Bot.Core.Chat;
using Bot.Core.Effects;
using Bot.Slack;
using Bot.Slack.WebApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Bot.Slack.Tests.WebApi;

/// <summary>Our Slack client against the fake Slack Web API over HTTP.</summary>
public class SlackApiClientTests
{
    private static SlackApiClient CreateSut(FakeSlack fake, string token = FakeSlack.Token, TimeProvider? time = null, SlackMethodTiers? tiers = null) =>
        new(new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), Options.Create(new SlackOptions { BotToken = token, ApiBaseUrl = fake.ApiBaseUrl, IncidentsChannel = "C0INCIDENTS" }),
            tiers ?? new SlackMethodTiers(), new ChannelPacer(TimeProvider.System), time ?? TimeProvider.System);

    [Fact]
    public async Task Calls_CarryTheTokenAndArguments_AsSlackDescribesThem()
    {
        await using var fake = await FakeSlack.StartAsync();
        var sut = CreateSut(fake);

        var channel = await sut.Conversations.Create("inc-20230805-ddos");
        await sut.Conversations.SetTopic(channel.Id, "SEV1 | triggered");
        var posted = await sut.Chat.PostMessage(new Message { Channel = channel.Id, Text = "hello", Blocks = "[]" });
        await sut.Pins.AddMessage(channel.Id, posted.Ts);
        var user = await sut.Users.Info("U1");
        var members = await sut.UserGroupUsers.List("S1");

        Assert.Equal("inc-20230805-ddos", channel.Name);
        Assert.Equal(channel.Id, posted.Channel);
        Assert.Equal("name-of-U1", user.Display);
        Assert.Equal(["U1", "U2"], members);
        Assert.Equal(posted.Ts, fake.CallsTo("pins.add").Single().Args["timestamp"]!.ToString());
        Assert.Equal("U1", fake.CallsTo("users.info").Single().Args["user"]!.ToString()); // a GET, with query arguments
    }

    [Fact]
    public async Task OkFalse_BecomesATypedError_PermanentOnesMarked()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithError("chat.postMessage", "channel_not_found");
        var sut = CreateSut(fake);

        var e = await Assert.ThrowsAsync<SlackApiException>(() => sut.Chat.PostMessage(new Message { Channel = "C404", Text = "x" }));

        Assert.Equal("channel_not_found", e.Error);
        Assert.True(e.IsPermanent);
        Assert.Single(fake.CallsTo("chat.postMessage")); // not retried
    }

    [Fact]
    public async Task SlackChat_GroupMembers_AreTheUserGroupsUsers_AndAnUnknownGroupIsPermanent()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));

        Assert.Equal(["U1", "U2"], await chat.GroupMembersAsync("S1", CancellationToken.None));
        Assert.Equal("S1", fake.CallsTo("usergroups.users.list").Single().Args["usergroup"]!.ToString());

        fake.FailWithError("usergroups.users.list", "no_such_subteam");
        var e = await Assert.ThrowsAsync<PermanentEffectException>(() => chat.GroupMembersAsync("S404", CancellationToken.None));
        Assert.Contains("no_such_subteam", e.Message);
    }

    private static EffectJob Try(string key, int attempts) => TestJob.Row(key, DateTimeOffset.UtcNow) with { Attempts = attempts, CreatedAt = DateTimeOffset.UtcNow.AddSeconds(-5) };

    [Fact]
    public async Task Post_WhoseAnswerWasLost_IsFoundByTheRetry_NotPostedTwice()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.FailAfterDoing("chat.postMessage", 500); // Slack posted it; we never heard

        EffectContext.Enter(Try("INC-1:update:3", attempts: 0));
        await Assert.ThrowsAsync<HttpRequestException>(() => chat.PostAsync("C0123", new ChatMessage("Update: mitigated"), "INC-1:update:3", CancellationToken.None));
        Assert.Single(fake.CallsTo("chat.postMessage")); // not retried in place: Slack may have posted

        EffectContext.Enter(Try("INC-1:update:3", attempts: 1)); // the outbox's retry
        var posted = await chat.PostAsync("C0123", new ChatMessage("Update: mitigated"), "INC-1:update:3", CancellationToken.None);

        Assert.Single(fake.CallsTo("chat.postMessage"));
        Assert.Equal(fake.Posted.Single().Ts, posted.MessageId);
        Assert.Equal("true", fake.CallsTo("conversations.history").Single().Args["include_all_metadata"]!.ToString().ToLowerInvariant());
    }

    [Fact]
    public async Task Channel_WhoseCreationAnswerWasLost_IsAdoptedByTheRetry_NotMadeTwice()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.FailAfterDoing("conversations.create", 500); // Slack made it; we never heard

        EffectContext.Enter(Try("INC-1:chat.open_channel", attempts: 0));
        await Assert.ThrowsAsync<HttpRequestException>(() => chat.CreateChannelAsync("inc-20261125-ddos", "SEV1 | triggered", "INC-1:chat.open_channel", CancellationToken.None));
        EffectContext.Enter(Try("INC-1:chat.open_channel", attempts: 1));
        var channel = await chat.CreateChannelAsync("inc-20261125-ddos", "SEV1 | triggered", "INC-1:chat.open_channel", CancellationToken.None);

        Assert.Equal("inc-20261125-ddos", channel.Name);
        Assert.Equal(["inc-20261125-ddos"], fake.ChannelsMadeByTheBot); // no inc-20261125-ddos-2
        Assert.Equal(channel.Id, fake.CallsTo("conversations.setTopic").Single().Args["channel"]!.ToString());
    }

    [Fact]
    public async Task Channel_MadeAndGivenItsTopicByATryThatDiedBeforeItsCommit_IsAdopted_NotMadeTwice()
    {
        // Seen with a replica killed mid-storm: the channel was created and its topic set, then the process died.
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.TakeChannelName("inc-20261125-ddos", FakeSlack.BotUserId, "SEV1 | triggered | lead: none | INC-1: DDoS");

        EffectContext.Enter(Try("INC-1:chat.open_channel", attempts: 0) with { Claims = 2 }); // the dead replica's claim, then ours
        var channel = await chat.CreateChannelAsync("inc-20261125-ddos", "SEV1 | triggered | lead: none | INC-1: DDoS", "INC-1:chat.open_channel", CancellationToken.None);

        Assert.Equal("inc-20261125-ddos", channel.Name); // no inc-20261125-ddos-2
        Assert.DoesNotContain(fake.CallsTo("conversations.create"), c => c.Args["name"]!.ToString() != "inc-20261125-ddos");
    }

    [Theory]
    [InlineData("U0SOMEONE", "")] // someone else's channel
    [InlineData(FakeSlack.BotUserId, "SEV2 | triggered | INC-7: another")] // the bot's, for another incident: it has a topic
    public async Task Channel_NameTakenByAChannelNotOurs_OnARetry_GetsASuffix(string creator, string topic)
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.TakeChannelName("inc-20261125-ddos", creator, topic);

        EffectContext.Enter(Try("INC-1:chat.open_channel", attempts: 1));
        var channel = await chat.CreateChannelAsync("inc-20261125-ddos", "SEV1 | triggered", "INC-1:chat.open_channel", CancellationToken.None);

        Assert.Equal("inc-20261125-ddos-2", channel.Name);
    }

    [Fact]
    public async Task Channel_NameTaken_OnAFirstTry_GetsASuffix_WithoutLooking()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.TakeChannelName("inc-20261125-ddos", FakeSlack.BotUserId);

        EffectContext.Enter(Try("INC-1:chat.open_channel", attempts: 0));
        var channel = await chat.CreateChannelAsync("inc-20261125-ddos", "SEV1 | triggered", "INC-1:chat.open_channel", CancellationToken.None);

        Assert.Equal("inc-20261125-ddos-2", channel.Name);
        Assert.Empty(fake.CallsTo("conversations.list"));
    }

    [Fact]
    public async Task Post_FirstTry_CarriesItsKey_AndReadsNoHistory()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));

        EffectContext.Enter(Try("INC-1:announce", attempts: 0));
        await chat.AnnounceAsync(new ChatMessage("SEV1 incident INC-1 opened"), "INC-1:announce", CancellationToken.None);

        Assert.Empty(fake.CallsTo("conversations.history"));
        var metadata = fake.CallsTo("chat.postMessage").Single().Args["metadata"]!;
        Assert.Equal("incident_bot_post", metadata["event_type"]!.ToString());
        Assert.Equal("INC-1:announce", metadata["event_payload"]!["key"]!.ToString());
    }

    [Fact]
    public async Task Page_WhoseAnswerWasLost_IsFoundInTheDirectMessages_NotSentTwice()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        fake.FailAfterDoing("chat.postMessage", 502);
        const string Key = "INC-1:esc:network:r1:c0:s0:page:U0BOB";

        EffectContext.Enter(Try(Key, attempts: 0));
        await Assert.ThrowsAsync<HttpRequestException>(() => chat.DirectMessageAsync("U0BOB", new ChatMessage("You are paged"), Key, CancellationToken.None));
        EffectContext.Enter(Try(Key, attempts: 1));
        await chat.DirectMessageAsync("U0BOB", new ChatMessage("You are paged"), Key, CancellationToken.None);

        Assert.Single(fake.CallsTo("chat.postMessage")); // bob is paged once
        Assert.Equal("U0BOB", fake.CallsTo("conversations.open").Single().Args["users"]!.ToString());
        Assert.Equal("DU0BOB", fake.CallsTo("conversations.history").Single().Args["channel"]!.ToString());
    }

    [Fact]
    public async Task Post_RetriedAfterATryThatNeverReachedSlack_IsPosted()
    {
        await using var fake = await FakeSlack.StartAsync();
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));
        await chat.PostAsync("C0123", new ChatMessage("another message"), "INC-1:other", CancellationToken.None);

        EffectContext.Enter(Try("INC-1:update:4", attempts: 2));
        await chat.PostAsync("C0123", new ChatMessage("Update: resolved"), "INC-1:update:4", CancellationToken.None);

        Assert.Equal(["INC-1:other", "INC-1:update:4"], fake.Posted.Select(p => p.Key));
    }

    [Fact]
    public async Task WrongToken_IsInvalidAuth_Permanent()
    {
        await using var fake = await FakeSlack.StartAsync();

        var e = await Assert.ThrowsAsync<SlackApiException>(() => CreateSut(fake, "xoxb-wrong").Conversations.Create("x"));

        Assert.Equal("invalid_auth", e.Error);
        Assert.True(e.IsPermanent);
    }

    [Fact]
    public async Task RateLimited_WaitsRetryAfter_ThenSucceeds()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("conversations.setTopic", 429, times: 1, retryAfterSeconds: 1);
        var sut = CreateSut(fake);

        await sut.Conversations.SetTopic("C1", "topic");

        var calls = fake.CallsTo("conversations.setTopic");
        Assert.Equal(2, calls.Count);
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {(calls[1].At - calls[0].At).TotalSeconds} s");
    }

    [Fact]
    public async Task LongRateLimit_IsLeftToTheOutbox_WithItsRetryAfter()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("conversations.create", 429, times: 1, retryAfterSeconds: 120);
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0" }));

        var e = await Assert.ThrowsAsync<RetryLaterException>(() => chat.CreateChannelAsync("inc-x", "t", "k", CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(120), e.After);
        Assert.Single(fake.CallsTo("conversations.create"));
    }

    /// <summary>
    /// Slack's 429 holds the method, not only the call it answered: a tier is the workspace's, so every call of the
    /// method (another channel's topic among them) waits its Retry-After, given back to the outbox uncalled, while other
    /// methods go on. Each call was sent and refused on its own, and Slack may disable an app that goes on calling.
    /// </summary>
    [Fact]
    public async Task ARateLimit_HoldsEveryCallOfTheMethodUntilItsRetryAfter_NotTheOtherMethods()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("conversations.setTopic", 429, times: 1, retryAfterSeconds: 30);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sut = CreateSut(fake, time: time);

        var refused = await Assert.ThrowsAsync<SlackApiException>(() => sut.Conversations.SetTopic("C1", "a").WaitAsync(TimeSpan.FromSeconds(10)));
        time.Advance(TimeSpan.FromSeconds(5));
        var held = await Assert.ThrowsAsync<SlackApiException>(() => sut.Conversations.SetTopic("C2", "b").WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(("ratelimited", TimeSpan.FromSeconds(30)), (refused.Error, refused.RetryAfter));
        Assert.Equal(("ratelimited", TimeSpan.FromSeconds(25)), (held.Error, held.RetryAfter));
        Assert.Single(fake.CallsTo("conversations.setTopic")); // the second was not sent
        await sut.Pins.AddMessage("C1", "1.0").WaitAsync(TimeSpan.FromSeconds(10)); // another method's tier

        time.Advance(TimeSpan.FromSeconds(25));
        await sut.Conversations.SetTopic("C2", "b").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, fake.CallsTo("conversations.setTopic").Count);
    }

    /// <summary>A method held 20 s or less (another call met a short Retry-After) waits in place: its call is sent once the time has passed, not before.</summary>
    [Fact]
    public async Task AShortHold_IsWaitedInPlace_TheCallSentOnceItEnds()
    {
        await using var fake = await FakeSlack.StartAsync();
        var time = new WaitSeenTime(DateTimeOffset.UtcNow);
        using var tiers = new SlackMethodTiers();
        var sut = CreateSut(fake, time: time, tiers: tiers);
        tiers.PauseUntil("conversations.setTopic", time.GetUtcNow().AddSeconds(5));

        var call = sut.Conversations.SetTopic("C1", "a");

        Assert.Same(time.Waiting.Task, await Task.WhenAny(time.Waiting.Task, call).WaitAsync(TimeSpan.FromSeconds(10))); // it waits on the clock (sent at once, it ended)
        Assert.Empty(fake.CallsTo("conversations.setTopic"));
        time.Advance(TimeSpan.FromSeconds(5));
        await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(fake.CallsTo("conversations.setTopic"));
    }

    /// <summary>A method without a tier (chat.postMessage, limited by channel) is not held by a 429; a pause is never shortened.</summary>
    [Fact]
    public void APause_IsATieredMethodsOnly_AndTheLatestEndHolds()
    {
        using var tiers = new SlackMethodTiers();
        var now = DateTimeOffset.UtcNow;

        tiers.PauseUntil("chat.postMessage", now.AddSeconds(30));
        tiers.PauseUntil("chat.update", now.AddSeconds(30));
        tiers.PauseUntil("chat.update", now.AddSeconds(5));

        Assert.Equal(TimeSpan.Zero, tiers.PausedFor("chat.postMessage", now));
        Assert.Equal(TimeSpan.FromSeconds(30), tiers.PausedFor("chat.update", now));
        Assert.Equal(TimeSpan.Zero, tiers.PausedFor("chat.update", now.AddSeconds(31)));
    }

    [Fact]
    public async Task ServerErrors_AreRetriedWithBackoff()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.FailWithStatus("pins.add", 503, times: 2);

        await CreateSut(fake).Pins.AddMessage("C1", "1.0");

        Assert.Equal(3, fake.CallsTo("pins.add").Count);
    }

    [Fact]
    public async Task PostsToOneChannel_KeepOrder_AndAreSpacedBySlacksLimit()
    {
        await using var fake = await FakeSlack.StartAsync();
        var sut = CreateSut(fake);

        // m1 is posted at once. m2 then takes the channel's turn before PostMessage returns (and waits out the second),
        // and m3 queues behind it, so their arrival order is the order of these calls, whatever the machine's load
        // (timers started 200 ms apart could fire in one pass after a stall, in either order).
        await sut.Chat.PostMessage(new Message { Channel = "C1", Text = "m1" });
        var m2 = sut.Chat.PostMessage(new Message { Channel = "C1", Text = "m2" });
        var m3 = sut.Chat.PostMessage(new Message { Channel = "C1", Text = "m3" });
        await Task.WhenAll(m2, m3);

        var posts = fake.CallsTo("chat.postMessage");
        Assert.Equal(["m1", "m2", "m3"], posts.Select(p => p.Args["text"]!.ToString()));
        Assert.True(posts[2].At - posts[0].At >= TimeSpan.FromSeconds(1.9), $"3 posts within {(posts[2].At - posts[0].At).TotalSeconds} s");
    }

    [Fact]
    public async Task SlackChat_NameTaken_AddsASuffix_AndPinsTheSummary()
    {
        await using var fake = await FakeSlack.StartAsync();
        fake.TakeChannelName("inc-20230805-ddos");
        var chat = new SlackChat(CreateSut(fake), Options.Create(new SlackOptions { IncidentsChannel = "C0", InviteUsers = ["U9"] }));

        var channel = await chat.CreateChannelAsync("inc-20230805-ddos", "SEV1 | triggered", "k1", CancellationToken.None);
        var summary = await chat.PostAsync(channel.Id, new ChatMessage("INC-1: DDoS") { Pin = true, Buttons = [new ChatButton(IncidentMessages.AcknowledgeAction, "Acknowledge", "INC-1")] }, "k2", CancellationToken.None);

        Assert.Equal("inc-20230805-ddos-2", channel.Name);
        Assert.Equal("U9", fake.CallsTo("conversations.invite").Single().Args["users"]!.ToString());
        Assert.Equal(summary.MessageId, fake.CallsTo("pins.add").Single().Args["timestamp"]!.ToString());
        var blocks = fake.CallsTo("chat.postMessage").Single().Args["blocks"]!.ToJsonString();
        Assert.Contains("\"action_id\":\"incident_ack\"", blocks);
        Assert.Contains("\"value\":\"INC-1\"", blocks);
    }

    /// <summary>A fake clock that says when something first waits on it (a timer made).</summary>
    private sealed class WaitSeenTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Waiting.TrySetResult();
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
