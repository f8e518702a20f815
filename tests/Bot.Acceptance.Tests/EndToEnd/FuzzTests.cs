using System.Net;
using System.Text;
using Bot.Core.Commands;
using Bot.Slack.Signing;
using Microsoft.Extensions.Logging;

namespace Bot.Acceptance.Tests.EndToEnd;

/// <summary>
/// Thousands of generated requests, from a fixed seed, across every endpoint: random JSON with the bot's own field names
/// in the wrong types, deep nesting, invalid UTF-8, control characters and unpaired surrogates, broken command lines,
/// signed and unsigned Slack payloads. No answer may be a 5xx, nothing may be logged as an error, and the bot must still
/// work afterwards.
/// </summary>
public class FuzzTests
{
    private const int Requests = 10_500;
    private const int Seed = 20261202;
    private const string SlackSecret = "fuzz-signing-secret-0123456789";
    private const string Token = "fuzz-alertmanager-token-0123";

    private static readonly string[] Fields =
    [
        "version", "groupKey", "status", "receiver", "alerts", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL",
        "externalURL", "title", "severity", "time", "url", "group", "user", "userName", "text", "type", "event", "event_id", "item", "ts",
        "channel", "reaction", "challenge", "payload", "view", "state", "values", "value", "selected_option", "callback_id", "actions",
        "action_id", "response_url", "private_metadata", "id", "name", "alertname", "summary", "runbook_url", "commonLabels", "orgId",
    ];

    private static readonly string[] Words =
    [
        .. CommandCatalog.All.Select(c => c.Name), "sev1", "sev9", "SEV2", "network", "security", "10:30", "25:99", "2023-08-05T10:00:00Z",
        "<@U1|bob>", "<@U2>", "@alice", "<!channel>", "<!subteam^S1>", "\"quoted words\"", "\u201Ccurly\u201D", "corrective", "preventive",
        "investigating", "identified", "monitoring", "-1", "0", "99999999999999999999", "INC-1", "\u202Eevil", "\u0000", "\u001B[2J", "é",
        "\U0001F525", "\uFFFF", "",
    ];

    [Fact]
    public async Task TenThousandGeneratedRequests_AcrossEveryEndpoint_NoServerError_NothingLoggedAsAnError_StillWorks()
    {
        var logs = new LogCapture();
        await using var bot = await BotServer.StartAsync(
            new Dictionary<string, string?>
            {
                ["Slack:SigningSecret"] = SlackSecret,
                ["Webhooks:Sources:alertmanager:Token"] = Token,
                ["Incidents:Responders:0"] = "U1",
                ["Teams:network:Members:0:Id"] = "U2",
                ["Logging:LogLevel:Default"] = "Information",
            },
            logs.AddTo);
        await bot.PostWebhookAsync("generic", """{"title":"Seed incident"}""");
        var random = new Random(Seed);
        var failures = new List<string>();
        var sent = 0;

        await Parallel.ForEachAsync(
            Enumerable.Range(0, Requests),
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) =>
            {
                HttpRequestMessage request;
                lock (random)
                {
                    request = Next(random, i);
                }

                var what = $"#{i} {request.Method} {request.RequestUri}";
                try
                {
                    using var response = await bot.Client.SendAsync(request);
                    if ((int)response.StatusCode >= 500)
                    {
                        var body = await response.Content.ReadAsStringAsync();
                        lock (failures)
                        {
                            failures.Add($"{what}: {(int)response.StatusCode} {body}");
                        }
                    }
                }
                catch (HttpRequestException e)
                {
                    lock (failures)
                    {
                        failures.Add($"{what}: {e.Message}");
                    }
                }

                Interlocked.Increment(ref sent);
            });

        Assert.True(sent >= 10_000, $"only {sent} requests");
        Assert.True(failures.Count == 0, $"seed {Seed}: {failures.Count} failures, e.g.\n{string.Join("\n", failures.Take(10))}");
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message} {e.Exception}").ToList();
        Assert.True(errors.Count == 0, $"seed {Seed}: logged as errors:\n{string.Join("\n", errors.Take(5))}");

        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bot.Client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bot.PostWebhookAsync("alertmanager", Fixture.Text("alertmanager/v4-firing.json"), Token)).StatusCode);
    }

    /// <summary>The i-th request: each endpoint in turn, with a body of the kind it takes, broken in a random way.</summary>
    private static HttpRequestMessage Next(Random r, int i)
    {
        switch (i % 9)
        {
            case 0:
            case 1:
                var source = Pick(r, ["alertmanager", "grafana", "generic", "nope", "..%2F..", "generic%00"]);
                var webhook = Post($"/webhooks/{source}", Body(r), r.Next(10) == 0 ? Pick(r, ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"]) : "application/json");
                if (source == "alertmanager" && r.Next(2) == 0)
                {
                    webhook.Headers.TryAddWithoutValidation("Authorization", r.Next(3) == 0 ? "Bearer " + Token : Pick(r, ["Bearer", "Basic !!!", "Basic " + Convert.ToBase64String([0xff, 0x3a]), "Token x"]));
                }

                return webhook;
            case 2:
            case 3:
                var path = r.Next(2) == 0 ? "/api/commands" : $"/api/incidents/{Pick(r, ["INC-1", "1", "0", "-5", "INC-99999999999999999999", "x", "%00"])}/commands";
                var command = r.Next(3) == 0
                    ? Body(r)
                    : Encoding.UTF8.GetBytes($$"""{"user":{{Json(r, Pick(r, ["U1", "U2", "U9", "", "\u0000"]))}},"userName":{{Json(r, Pick(r, ["alice", "\u202Ebob", ""]))}},"text":{{Json(r, CommandLine(r))}}}""");
                return Post(path, command, "application/json");
            case 4:
                return new HttpRequestMessage(HttpMethod.Get, r.Next(2) == 0
                    ? $"/api/incidents?status={Pick(r, ["open", "resolved", "x", "", "%00"])}&limit={Pick(r, ["1", "500", "501", "-1", "abc", "1e9", ""])}"
                    : $"/api/incidents/{Pick(r, ["INC-1", "1", "0", "x", "INC-"])}?alerts={Pick(r, ["0", "10000", "10001", "-1", "many", ""])}");
            case 5:
                var form = $"command=%2Fincident&text={Uri.EscapeDataString(CommandLine(r))}&user_id={Pick(r, ["U1", "U2", ""])}&user_name=x&channel_id={Pick(r, ["C1", "", "inc-x"])}&team_id=T1";
                return Signed(r, "/slack/commands", r.Next(8) == 0 ? Body(r) : Encoding.UTF8.GetBytes(form), "application/x-www-form-urlencoded");
            case 6:
                var payload = Body(r);
                var interaction = Encoding.UTF8.GetBytes("payload=").Concat(Encoding.UTF8.GetBytes(Uri.EscapeDataString(Encoding.UTF8.GetString(payload)))).ToArray();
                return Signed(r, "/slack/interactions", interaction, "application/x-www-form-urlencoded");
            case 7:
                return Signed(r, "/slack/events", Body(r), "application/json");
            default:
                return new HttpRequestMessage(r.Next(2) == 0 ? HttpMethod.Get : HttpMethod.Post, Pick(r, ["/healthz", "/readyz", "/", "/api", "/slack/nope", "/webhooks/"]));
        }
    }

    private static HttpRequestMessage Post(string path, byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    /// <summary>Signed with the bot's secret (mostly), so that the payload reaches the parsers behind the signature check.</summary>
    private static HttpRequestMessage Signed(Random r, string path, byte[] body, string contentType)
    {
        var request = Post(path, body, contentType);
        var ts = r.Next(20) == 0 ? Pick(r, ["abc", "", "-1", "99999999999999999999"]) : DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        request.Headers.TryAddWithoutValidation(SlackSignature.TimestampHeader, ts);
        request.Headers.TryAddWithoutValidation(SlackSignature.SignatureHeader, r.Next(20) == 0 ? "v0=00" : SlackSignature.Compute(SlackSecret, ts, body));
        return request;
    }

    /// <summary>A body: random JSON (with the bot's field names), a broken copy of a real one, deep nesting, or bytes.</summary>
    private static byte[] Body(Random r) => r.Next(12) switch
    {
        0 => Encoding.UTF8.GetBytes(new string('[', r.Next(60, 3000)) + new string(']', r.Next(0, 3000))),
        1 => Enumerable.Range(0, r.Next(0, 200)).Select(_ => (byte)r.Next(256)).ToArray(),
        2 => Encoding.UTF8.GetBytes("{\"title\":\"").Concat(new byte[] { 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray(),
        3 or 4 => Broken(r, Fixture.Text(Pick(r, ["alertmanager/v4-firing.json", "alertmanager/v4-resolved.json", "grafana/v1-firing.json"]))),
        _ => Encoding.UTF8.GetBytes(Value(r, 0)),
    };

    /// <summary>A real payload with one of its values replaced by something of another type, or its text cut short.</summary>
    private static byte[] Broken(Random r, string json)
    {
        if (r.Next(4) == 0)
        {
            return Encoding.UTF8.GetBytes(json[..r.Next(json.Length)]);
        }

        var colons = Enumerable.Range(0, json.Length).Where(i => json[i] == ':' && json[i - 1] == '"').ToList();
        var at = colons[r.Next(colons.Count)] + 1;
        var end = at;
        var depth = 0;
        var inString = false;
        for (; end < json.Length; end++)
        {
            var c = json[end];
            if (inString)
            {
                if (c == '\\')
                {
                    end++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth-- == 0)
                {
                    break;
                }
            }
            else if (c == ',' && depth == 0)
            {
                break;
            }
        }

        return Encoding.UTF8.GetBytes(json[..at] + Value(r, 2) + json[end..]);
    }

    private static string Value(Random r, int depth) => r.Next(depth > 4 ? 6 : 9) switch
    {
        0 => "null",
        1 => Pick(r, ["true", "false"]),
        2 => Pick(r, ["0", "-0", "1e999", "-1", "123456789012345678901234567890", "3.14", "1E+2"]),
        3 or 4 or 5 => Json(r, r.Next(3) == 0 ? CommandLine(r) : Pick(r, [.. Words, "firing", "resolved", "4", "1", "2023-08-05T10:00:00Z", "0001-01-01T00:00:00Z", "view_submission", "block_actions", "event_callback", "reaction_added", "pushpin", "url_verification", "incident_declare", "incident_ack"])),
        6 => "[" + string.Join(",", Enumerable.Range(0, r.Next(0, 5)).Select(_ => Value(r, depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, r.Next(0, 7)).Select(_ => $"{Json(r, Pick(r, Fields))}:{Value(r, depth + 1)}")) + "}",
    };

    /// <summary>A JSON string of <paramref name="text"/>, sometimes with a raw control character or an unpaired surrogate's escape.</summary>
    private static string Json(Random r, string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return sb.Append(r.Next(15) switch
        {
            0 => "\\ud800",
            1 => "\\udc00x",
            2 => "\u0001", // raw: not JSON
            3 => "\\u0000\\u001b[31m\\u202e",
            _ => "",
        }).Append('"').ToString();
    }

    /// <summary>A command line: mostly a real command with random arguments, sometimes anything, sometimes too long.</summary>
    private static string CommandLine(Random r) => r.Next(20) == 0
        ? new string('x', r.Next(3990, 4100))
        : (r.Next(5) == 0 ? "" : Pick(r, CommandCatalog.All).Name + " ")
          + string.Join(Pick(r, [" ", "  ", "\t", "\n"]), Enumerable.Range(0, r.Next(0, 6)).Select(_ => Pick(r, Words)));

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];
}
