using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Bot.Slack.SocketMode;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>Socket Mode against a local stand-in for Slack's WebSocket service.</summary>
public class SocketModeEndToEndTests
{
    private const string AppToken = FakeSocketSlack.AppToken;

    [Fact]
    public async Task Connects_AnswersASlashCommandInTheAck_AcksEvents_AndReconnects()
    {
        await using var slack = await FakeSocketSlack.StartAsync();
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Slack:AppToken"] = AppToken,
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl.ToString(),
        });

        var first = await slack.NextConnectionAsync();
        await first.SendAsync(new
        {
            envelope_id = "e1",
            type = "slash_commands",
            accepts_response_payload = true,
            payload = new { command = "/incident", text = "declare Socket Mode works sev2", user_id = "U1", user_name = "alice", channel_id = "C1", team_id = "T1" },
        });
        var ack = await first.ReceiveAsync();
        Assert.Equal("e1", ack.GetProperty("envelope_id").GetString());
        var answer = ack.GetProperty("payload").GetProperty("text").GetString()!;
        if (!answer.StartsWith("Working on", StringComparison.Ordinal)) // a cold, loaded machine may take longer than the ack budget
        {
            Assert.StartsWith("Declared INC-1 (SEV2)", answer);
            Assert.Equal("in_channel", ack.GetProperty("payload").GetProperty("response_type").GetString());
        }

        await BotServer.EventuallyAsync(() => bot.GetJsonAsync("/api/incidents"), l => l.GetArrayLength() == 1, TimeSpan.FromSeconds(10), "INC-1");

        await first.SendAsync(new { envelope_id = "e2", type = "events_api", payload = new { type = "event_callback", event_id = "Ev2", @event = new { type = "app_mention" } } });
        Assert.Equal("e2", (await first.ReceiveAsync()).GetProperty("envelope_id").GetString());

        // Slack asks for a reconnect: the bot opens a new connection.
        await first.SendAsync(new { type = "disconnect", reason = "refresh_requested" });
        var second = await slack.NextConnectionAsync();
        Assert.Equal(2, slack.Opens);
        var client = bot.Services.GetRequiredService<SocketModeClient>();

        // The connection drops: the bot connects again. Dropped only once the bot's side of the handshake has returned
        // (Slack's side accepts first): dropped before, the bot's connect fails and it retries, so it never counts it.
        await BotServer.EventuallyAsync(() => Task.FromResult(client.Connections), n => n >= 2, TimeSpan.FromSeconds(10), "the second connection counted");
        second.Abort();
        var third = await slack.NextConnectionAsync();
        await third.SendAsync(new { envelope_id = "e3", type = "slash_commands", payload = new { command = "/incident", text = "list", user_id = "U1", user_name = "alice", channel_id = "C1" } });
        Assert.Contains("INC-1", (await third.ReceiveAsync()).GetProperty("payload").GetProperty("text").GetString());
        await BotServer.EventuallyAsync( // the client counts a connection once its handshake returned; read it without a race
            () => Task.FromResult(client.Connections), n => n >= 3, TimeSpan.FromSeconds(10), "three connections counted");
    }

    [Fact]
    public async Task WithoutAnAppToken_NoSocketModeClientIsBuiltOrRun()
    {
        await using var bot = await BotServer.StartAsync();

        Assert.Null(bot.Services.GetService<SocketModeClient>());
        Assert.DoesNotContain(bot.Services.GetServices<IHostedService>(), s => s is SocketModeClient);
    }

    [Fact]
    public async Task DeclareFormSubmission_IsAnsweredInTheAck_ErrorsKeepTheFormOpen()
    {
        await using var slack = await FakeSocketSlack.StartAsync();
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Slack:AppToken"] = AppToken,
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl.ToString(),
        });
        var connection = await slack.NextConnectionAsync();
        object Submission(string envelope, string title) => new
        {
            envelope_id = envelope,
            type = "interactive",
            accepts_response_payload = true,
            payload = new
            {
                type = "view_submission",
                user = new { id = "U1", name = "alice" },
                view = new
                {
                    callback_id = "incident_declare",
                    private_metadata = "",
                    state = new { values = new { title = new { value = new { type = "plain_text_input", value = title } } } },
                },
            },
        };

        await connection.SendAsync(Submission("e1", ""));
        var refused = await connection.ReceiveAsync();
        Assert.Equal("e1", refused.GetProperty("envelope_id").GetString());
        Assert.Equal("Say what is happening.", refused.GetProperty("payload").GetProperty("errors").GetProperty("title").GetString());

        await connection.SendAsync(Submission("e2", "Payments down"));
        var done = await connection.ReceiveAsync();
        Assert.False(done.TryGetProperty("payload", out _)); // a bare ack closes the form
        Assert.Equal("Payments down", (await bot.GetJsonAsync("/api/incidents/INC-1")).GetProperty("incident").GetProperty("title").GetString());
    }

    [Fact]
    public async Task WrongAppToken_IsRetriedWithoutCrashingTheBot()
    {
        await using var slack = await FakeSocketSlack.StartAsync(acceptToken: "xapp-1-other");
        await using var bot = await BotServer.StartAsync(new Dictionary<string, string?>
        {
            ["Slack:AppToken"] = AppToken,
            ["Slack:ApiBaseUrl"] = slack.ApiBaseUrl.ToString(),
        });

        await BotServer.EventuallyAsync(() => Task.FromResult(slack.Opens), n => n >= 2, TimeSpan.FromSeconds(10), "a second try");

        Assert.Equal(System.Net.HttpStatusCode.OK, (await bot.Client.GetAsync("/healthz")).StatusCode);
    }
}
