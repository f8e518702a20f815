using System.Text.Json;
using Bot.Core.Escalation;

namespace Bot.Core.Tests.Escalation;

/// <summary>How a page not out yet is told to people outside the channel, and which stored keys are an incident's.</summary>
public sealed class PageUnderWayTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 3, 0, 0, TimeSpan.Zero);

    private static PageUnderWay Notify(string channel, int attempts = 0, bool running = false, DateTimeOffset? due = null, DateTimeOffset? firstDue = null, string? error = null) =>
        new(NotifyJob.Kind, JsonSerializer.Serialize(new NotifyJob(1, "U1", channel, 0, "INC-1:esc:db:r1:c0:s0", 0), NotifyJob.Json), attempts, due ?? Now, firstDue, running, error);

    [Fact]
    public void ACall_BeingSentAgain_SaysItsTry_SinceItFirstFellDue_AndTheLastError()
    {
        var call = Notify(NotificationRule.Voice, attempts: 1, running: true, firstDue: Now.AddMinutes(-2), error: "Twilio answered 503");

        Assert.Equal("Call to Dave", call.What(_ => "Dave"));
        Assert.Equal("sending", call.Stage(Now));
        Assert.Equal("being sent again (try 2), due since 02:58:00 UTC; last error: Twilio answered 503", call.State(Now));
    }

    [Fact]
    public void APageDueNow_IsWaiting_NotScheduled()
    {
        var sms = Notify(NotificationRule.Sms, due: Now);

        Assert.Equal(("waiting", "waiting for its turn since 03:00:00 UTC"), (sms.Stage(Now), sms.State(Now)));
        Assert.Equal("scheduled", sms.Stage(Now.AddSeconds(-1)));
    }

    [Fact]
    public void APayloadItCannotRead_IsToldByItsKind()
    {
        var garbled = Notify(NotificationRule.Sms) with { Payload = "{not json" };

        Assert.Equal(NotifyJob.Kind, garbled.What(_ => "Dave"));
    }

    [Fact]
    public void AnIncidentsKeys_AreItsStepsOnly_NotThoseOfAnIncidentWhoseNumberBeginsAlike()
    {
        var (from, to) = PageUnderWay.KeyRange(1);
        bool Within(string key) => string.CompareOrdinal(key, from) >= 0 && string.CompareOrdinal(key, to) < 0;

        Assert.True(Within(Escalator.StepKey(1, "db", 1, 0, 0) + ":notify:U1:0"));
        Assert.True(Within(Escalator.StepKey(1, "zz~", 9, 9, 9) + ":webhook:ops"));
        Assert.False(Within(Escalator.StepKey(10, "db", 1, 0, 0) + ":notify:U1:0"));
        Assert.False(Within(Escalator.StepKey(2, "db", 1, 0, 0)));
        Assert.False(Within("INC-1:channel"));
    }
}
