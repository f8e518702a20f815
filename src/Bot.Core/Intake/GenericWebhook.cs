namespace Bot.Core.Intake;

/// <summary>The generic JSON webhook (see docs/webhooks.md). Wire shape only.</summary>
internal sealed class GenericWebhook
{
    public string? Title { get; set; }
    public string? Severity { get; set; }
    public string? Status { get; set; }
    public string? Fingerprint { get; set; }
    public string? Group { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public string? Url { get; set; }
    public string? Time { get; set; }
}
