namespace Bot.Paging.Twilio;

/// <summary>Twilio's error codes of an SMS or call not delivered, with what the common ones mean for a page.</summary>
public static class TwilioErrors
{
    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        ["21610"] = "the person replied STOP to this number, so Twilio sends them nothing until they reply START",
        ["30003"] = "the phone is off or out of reach",
        ["30004"] = "the message was blocked",
        ["30005"] = "the number is unknown or no longer in service",
        ["30006"] = "a landline, or a carrier that cannot be reached",
        ["30007"] = "the carrier filtered it",
        ["30008"] = "an unknown error at the carrier",
    };

    /// <summary>"Twilio error 30003: the phone is off or out of reach"; an unknown code by its number.</summary>
    public static string Describe(string code) =>
        Meanings.TryGetValue(code, out var meaning) ? $"Twilio error {code}: {meaning}" : $"Twilio error {code}";
}
