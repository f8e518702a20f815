namespace Bot.Core.Intake;

/// <summary>The webhook formats the bot understands, by name.</summary>
public static class WebhookParsers
{
    public static readonly IReadOnlyDictionary<string, IWebhookParser> ByFormat =
        new IWebhookParser[] { new AlertmanagerParser(), new GrafanaParser(), new GenericParser() }
            .ToDictionary(p => p.Format, StringComparer.OrdinalIgnoreCase);

    public static string Names => string.Join(", ", ByFormat.Keys);
}
