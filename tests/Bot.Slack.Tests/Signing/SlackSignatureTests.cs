using System.Text;
using Bot.Slack.Signing;

namespace Bot.Slack.Tests.Signing;

public class SlackSignatureTests
{
    // Slack's documented example ("Verifying requests from Slack").
    private const string Secret = "8f742231b10e8888abcd99yyyzzz85a5";
    private const string Timestamp = "1531420618";
    private const string Expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private const string Body =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
        "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands" +
        "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    private static readonly DateTimeOffset Then = DateTimeOffset.FromUnixTimeSeconds(1531420618);
    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);

    private static SignatureCheck Verify(string secret = Secret, string? timestamp = Timestamp, string? signature = Expected, string body = Body, DateTimeOffset? now = null) =>
        SlackSignature.Verify(secret, timestamp, signature, Encoding.UTF8.GetBytes(body), now ?? Then, FiveMinutes);

    [Fact]
    public void Compute_SlacksDocumentedExample_Matches() =>
        Assert.Equal(Expected, SlackSignature.Compute(Secret, Timestamp, Encoding.UTF8.GetBytes(Body)));

    [Fact]
    public void Verify_DocumentedExample_IsValid() => Assert.Equal(SignatureCheck.Valid, Verify());

    [Fact]
    public void Verify_TamperedBody_IsMismatch() => Assert.Equal(SignatureCheck.Mismatch, Verify(body: Body.Replace("roadrunner", "coyote")));

    [Fact]
    public void Verify_WrongSecret_IsMismatch() => Assert.Equal(SignatureCheck.Mismatch, Verify(secret: "not-the-secret"));

    [Fact]
    public void Verify_WrongTimestampForTheSignature_IsMismatch() => Assert.Equal(SignatureCheck.Mismatch, Verify(timestamp: "1531420619", now: Then));

    [Theory]
    [InlineData(301)]
    [InlineData(-301)]
    public void Verify_StaleOrFutureTimestamp_IsStale(int seconds) => Assert.Equal(SignatureCheck.Stale, Verify(now: Then.AddSeconds(seconds)));

    [Fact]
    public void Verify_WithinTolerance_IsValid() => Assert.Equal(SignatureCheck.Valid, Verify(now: Then.AddSeconds(299)));

    [Theory]
    [InlineData(null, Expected)]
    [InlineData(Timestamp, null)]
    [InlineData("", "")]
    public void Verify_MissingHeaders(string? timestamp, string? signature) =>
        Assert.Equal(SignatureCheck.MissingHeaders, Verify(timestamp: timestamp, signature: signature));

    [Fact]
    public void Verify_NonNumericTimestamp_IsStale() => Assert.Equal(SignatureCheck.Stale, Verify(timestamp: "yesterday"));
}
