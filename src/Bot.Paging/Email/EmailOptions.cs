namespace Bot.Paging.Email;

/// <summary>The <c>Email</c> section: e-mail pages over SMTP, with a link that acknowledges.</summary>
public sealed class EmailOptions
{
    public const string SectionName = "Email";

    /// <summary>The SMTP server; with <see cref="From"/>, <see cref="PublicUrl"/> and <see cref="LinkSecret"/>, e-mail is on.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary><c>starttls</c> (default; port 587), <c>tls</c> (port 465) or <c>none</c> (a relay on the same host or network).</summary>
    public string Security { get; set; } = "starttls";

    public string? Username { get; set; }

    /// <summary>A secret.</summary>
    public string? Password { get; set; }

    /// <summary>The sender, e.g. <c>Incident bot &lt;incidents@example.com&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>The bot's address as people's browsers reach it (<c>https://bot.example.com</c>): the acknowledge links point there.</summary>
    public Uri? PublicUrl { get; set; }

    /// <summary>The key that signs the acknowledge links (at least 32 characters). A secret: a link made with it acknowledges.</summary>
    public string? LinkSecret { get; set; }

    /// <summary>How long an acknowledge link works. Default 1h.</summary>
    public TimeSpan LinkLifetime { get; set; } = TimeSpan.FromHours(1);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}
