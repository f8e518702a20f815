using Bot.Core.Escalation;
using Bot.Core.Incidents;
using Bot.TestKit;
using Microsoft.Extensions.Options;

namespace Bot.Core.Tests.Escalation;

/// <summary>What a provider's word on a page it took becomes on the incident's timeline.</summary>
public sealed class DeliveryTests
{
    private static DeliveryReport Sms(string status, string? error = null) => new(1, "U1", "Twilio", NotificationRule.Sms, "SM1", status, error);

    private static DeliveryReport Call(string status, int? seconds = null) => new(1, "U1", "Twilio", NotificationRule.Voice, "CA1", status, Seconds: seconds);

    /// <summary>A store holding INC-1, open, on a fake clock.</summary>
    private static async Task<(Microsoft.Extensions.Time.Testing.FakeTimeProvider Time, InMemoryIncidentStore Store)> StoreWithAnIncidentAsync()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TestStore.Start);
        var store = new InMemoryIncidentStore(time);
        await store.WriteAsync(s =>
        {
            s.InsertIncident(Incident.Open("DB down", Severity.Sev1, "generic", "generic:1", Actor.Bot, "x", s.Now).Incident);
            return 0;
        });
        return (time, store);
    }

    [Theory]
    [InlineData("queued")]
    [InlineData("sending")]
    [InlineData("sent")]
    [InlineData("accepted")]
    public void AnSmsOnItsWay_IsNotNoted(string status) => Assert.Null(Sms(status).Text("dave"));

    [Theory]
    [InlineData("initiated")]
    [InlineData("ringing")]
    [InlineData("in-progress")]
    public void ACallOnItsWay_IsNotNoted(string status) => Assert.Null(Call(status).Text("dave"));

    [Fact]
    public void TheEnds_AreSaid_WithTheProvidersIdAndReason()
    {
        Assert.Equal("SMS to dave delivered (SM1).", Sms("delivered").Text("dave"));
        Assert.Equal("SMS to dave not delivered (failed, Twilio error 30005): it did not reach them (SM1).", Sms("failed", "Twilio error 30005").Text("dave"));
        Assert.Equal("SMS to dave not delivered (undelivered): it did not reach them (SM1).", Sms("undelivered").Text("dave"));
        Assert.Equal("Call to dave answered, 40 s (CA1).", Call("completed", 40).Text("dave"));
        Assert.Equal("Call to dave answered (CA1).", Call("completed").Text("dave"));
        Assert.Equal("Call to dave not answered (busy) (CA1).", Call("busy").Text("dave"));
        Assert.Equal("Call to dave not answered (canceled) (CA1).", Call("canceled").Text("dave"));
    }

    [Fact]
    public async Task AReport_IsNotedByTheProvider_ByThePersonsName_OnceOnly_AndNotForAnIncidentNotThere()
    {
        var (time, store) = await StoreWithAnIncidentAsync();
        var options = Options.Create(new EscalationOptions { People = { ["U1"] = new PersonOptions { Name = "dave" } } });
        var reports = new DeliveryReports(store, options);

        Assert.True(await reports.NoteAsync(Sms("delivered")));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(await reports.NoteAsync(Sms("delivered")));
        Assert.False(await reports.NoteAsync(Sms("sent")));
        Assert.False(await reports.NoteAsync(Sms("delivered") with { Incident = 7 }));

        var entry = Assert.Single(await store.GetTimelineAsync(1), e => e.Kind == TimelineKind.Page);
        Assert.Equal(("Twilio", "SMS to dave delivered (SM1)."), (entry.Author.Name, entry.Text));
    }

    [Fact]
    public async Task APageThatCouldNotReachThePerson_IsSaidInTheOpenIncidentsChannel_Once_AndNothingElseIs()
    {
        var (_, store) = await StoreWithAnIncidentAsync();
        var reports = new DeliveryReports(store, Options.Create(new EscalationOptions()));
        List<string> Posts() => [.. store.State.Jobs.Values.Where(j => j.Job.Kind == Bot.Core.Chat.PostTextJob.Kind).Select(j => j.Job.Key)];

        await reports.NoteAsync(Sms("delivered"));
        await reports.NoteAsync(Call("no-answer"));
        await reports.NoteAsync(Call("busy") with { Id = "CA2" });
        Assert.Empty(Posts());

        await reports.NoteAsync(Sms("undelivered", "Twilio error 30003") with { Id = "SM2" });
        await reports.NoteAsync(Sms("undelivered", "Twilio error 30003") with { Id = "SM2" });
        await reports.NoteAsync(Call("failed") with { Id = "CA3" });
        Assert.Equal(["INC-1:delivery:SM2", "INC-1:delivery:CA3"], Posts());
    }
}
