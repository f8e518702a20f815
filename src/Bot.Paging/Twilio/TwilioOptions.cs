namespace Bot.Paging.Twilio;

/// <summary>The <c>Twilio</c> section: SMS pages through Twilio's REST API, and replies that acknowledge.</summary>
public sealed class TwilioOptions
{
    public const string SectionName = "Twilio";

    /// <summary>The account's SID (<c>AC...</c>); with <see cref="AuthToken"/> and <see cref="From"/>, SMS is on.</summary>
    public string? AccountSid { get; set; }

    /// <summary>The account's auth token: the API's password, and the key of the callbacks' signatures. A secret.</summary>
    public string? AuthToken { get; set; }

    /// <summary>The Twilio number pages come from (E.164), whose messaging webhook is <c>&lt;PublicUrl&gt;/twilio/sms</c>.</summary>
    public string? From { get; set; }

    public Uri ApiBaseUrl { get; set; } = new("https://api.twilio.com/");

    /// <summary>
    /// The address Twilio calls the bot on (<c>https://bot.example.com</c>): callbacks are signed over the full URL Twilio
    /// used, which a reverse proxy hides from the bot. Default: the address the request came to.
    /// </summary>
    public Uri? PublicUrl { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AccountSid) && !string.IsNullOrWhiteSpace(AuthToken) && !string.IsNullOrWhiteSpace(From);
}
