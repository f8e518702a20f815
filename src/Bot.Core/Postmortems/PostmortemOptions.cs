using Bot.Core.Chat;
using Bot.Core.Incidents;

namespace Bot.Core.Postmortems;

/// <summary>
/// Where postmortem drafts (and, without GitHub, tasks) go. Section <c>GitHub</c>, shared with the GitHub adapter's
/// own settings: with <c>GitHub:Repository</c> set, drafts become pull requests; without, files under
/// <see cref="LocalDirectory"/>.
/// </summary>
public sealed class PostmortemOptions
{
    public const string SectionName = "GitHub";

    /// <summary>
    /// The draft's path in the repository. <c>{date}</c> (the incident's start, yyyy-MM-dd), <c>{id}</c> (INC-42) and
    /// <c>{slug}</c> (from the title) are filled in. Default <c>postmortems/{date}-{id}-{slug}.md</c>.
    /// </summary>
    public string PostmortemPath { get; set; } = "postmortems/{date}-{id}-{slug}.md";

    /// <summary>
    /// Without GitHub settings, drafts are written under this folder (the draft's path below it) and tasks as files
    /// under its <c>issues/</c> folder. Default <c>data/repo</c>.
    /// </summary>
    public string LocalDirectory { get; set; } = System.IO.Path.Combine("data", "repo");

    public string PathFor(Incident incident, DateTimeOffset start) => PostmortemPath
        .Replace("{date}", start.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
        .Replace("{id}", incident.Key)
        .Replace("{slug}", IncidentChannelName.Slug(incident.Title, 60) is { Length: > 0 } slug ? slug : "incident");
}
