using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Bot.Acceptance.Tests.Api;

/// <summary>The /incident commands through the local command API, over HTTP.</summary>
public class CommandEndpointsTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> CommandAsync(BotServer bot, string path, string user, string text)
    {
        var response = await bot.Client.PostAsJsonAsync(path, new { user, userName = user == "U1" ? "alice" : "bob", text });
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task AlertThenCommands_RunTheIncident_AndLandOnTheTimeline()
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"));

        var ack = await CommandAsync(bot, "/api/incidents/INC-1/commands", "U1", "ack");
        var note = await CommandAsync(bot, "/api/incidents/INC-1/commands", "U2", "note 00:01 \"DB tests pass\"");
        var resolve = await CommandAsync(bot, "/api/incidents/INC-1/commands", "U1", "resolve Filters in place");
        var again = await CommandAsync(bot, "/api/incidents/INC-1/commands", "U1", "resolve");

        Assert.Equal(HttpStatusCode.OK, ack.Status);
        Assert.True(ack.Body.GetProperty("ok").GetBoolean());
        Assert.Equal("INC-1: alice acknowledged the incident.", ack.Body.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.OK, note.Status);
        Assert.Equal(HttpStatusCode.OK, resolve.Status);
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("conflict", again.Body.GetProperty("outcome").GetString());

        var details = await bot.GetJsonAsync("/api/incidents/INC-1");
        Assert.Equal("resolved", details.GetProperty("incident").GetProperty("status").GetString());
        var entries = details.GetProperty("timeline").EnumerateArray().ToList();
        var noteEntry = entries.Single(e => e.GetProperty("kind").GetString() == "note");
        Assert.Equal("DB tests pass", noteEntry.GetProperty("text").GetString());
        Assert.Equal("bob", noteEntry.GetProperty("author").GetString());
        Assert.Equal("U2", noteEntry.GetProperty("authorId").GetString());
        Assert.Equal(0, noteEntry.GetProperty("at").GetDateTimeOffset().Hour);
        Assert.Contains(entries, e => e.GetProperty("text").GetString() == "alice resolved the incident. Filters in place");
    }

    [Fact]
    public async Task Declare_List_Help_OutsideAnIncident()
    {
        await using var bot = await BotServer.StartAsync();

        var declare = await CommandAsync(bot, "/api/commands", "U1", "declare Checkout errors sev2 payments");
        var list = await CommandAsync(bot, "/api/commands", "U1", "list");
        var help = await CommandAsync(bot, "/api/commands", "U1", "help");
        var misplaced = await CommandAsync(bot, "/api/commands", "U1", "ack");

        Assert.Equal(HttpStatusCode.OK, declare.Status);
        Assert.StartsWith("Declared INC-1 (SEV2)", declare.Body.GetProperty("text").GetString());
        Assert.Contains("INC-1  SEV2", list.Body.GetProperty("text").GetString());
        Assert.Contains("/incident note", help.Body.GetProperty("text").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, misplaced.Status);
        await BotServer.EventuallyAsync(
            () => bot.GetJsonAsync("/api/incidents/INC-1"),
            d => d.GetProperty("incident").GetProperty("channel").ValueKind == JsonValueKind.String,
            TimeSpan.FromSeconds(10),
            "the declared incident's channel");
    }

    [Fact]
    public async Task Responders_Setting_RefusesOthers_With403()
    {
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?> { ["Incidents:Responders:0"] = "U1" });

        var refused = await CommandAsync(bot, "/api/commands", "U2", "declare Not allowed");

        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal(0, (await bot.GetJsonAsync("/api/incidents")).GetArrayLength());
    }

    [Fact]
    public async Task MissingUser_Is400()
    {
        await using var bot = await BotServer.StartAsync();

        var response = await bot.Client.PostAsJsonAsync("/api/commands", new { text = "list" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(false, 20 * 1024 * 1024)] // refused from its Content-Length, before it is sent (Expect: 100-continue)
    [InlineData(true, 1024 * 1024)] // chunked: refused as it is read, past 64 KiB
    public async Task A20MegabyteNote_Is413_AndNothingChanges(bool chunked, int size)
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");
        var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { user = "U1", text = "note " + new string('x', size) }));
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/incidents/INC-1/commands") { Content = content };
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.ExpectContinue = !chunked;

        var response = await bot.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("The body is larger than this endpoint's limit of 65536 bytes; nothing was done.", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.DoesNotContain((await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "note");
    }

    [Theory]
    [InlineData(4001, "note ", "at most 4000")]
    [InlineData(301, "title ", "A title is at most 300 characters.")]
    [InlineData(301, "declare ", "A title is at most 300 characters.")]
    public async Task TextOverItsLimit_Is400_SayingTheLimit(int length, string command, string expected)
    {
        await using var bot = await BotServer.StartAsync();
        await bot.PostWebhookAsync("generic", """{"title":"Checkout down"}""");
        var path = command == "declare " ? "/api/commands" : "/api/incidents/INC-1/commands";

        var (status, body) = await CommandAsync(bot, path, "U1", command + new string('x', length - (command == "note " ? command.Length : 0)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, body.GetProperty("text").GetString());
        Assert.Single((await bot.GetJsonAsync("/api/incidents")).EnumerateArray());
    }
}
