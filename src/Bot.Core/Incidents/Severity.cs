namespace Bot.Core.Incidents;

/// <summary>Incident severity, SEV1 (most severe) to SEV4.</summary>
public enum Severity
{
    Sev1 = 1,
    Sev2 = 2,
    Sev3 = 3,
    Sev4 = 4,
}

public static class SeverityText
{
    /// <summary><c>SEV1</c>..<c>SEV4</c>, the same string each time (routing reads it for every alert).</summary>
    public static string Display(this Severity severity) => severity switch
    {
        Severity.Sev1 => "SEV1",
        Severity.Sev2 => "SEV2",
        Severity.Sev3 => "SEV3",
        Severity.Sev4 => "SEV4",
        _ => $"SEV{(int)severity}",
    };

    /// <summary>Reads <c>SEV1</c>, <c>sev1</c>, <c>1</c>; null when the text is none of these.</summary>
    public static Severity? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.Trim();
        if (t.StartsWith("sev", StringComparison.OrdinalIgnoreCase))
        {
            t = t[3..];
        }

        return t.Length == 1 && t[0] is >= '1' and <= '4' ? (Severity)(t[0] - '0') : null;
    }
}
