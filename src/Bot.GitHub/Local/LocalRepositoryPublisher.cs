using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.GitHub.Local;

/// <summary>
/// Without GitHub settings: drafts are files under <see cref="PostmortemOptions.LocalDirectory"/> (e.g.
/// <c>data/repo/postmortems/2023-08-05-INC-42-ddos.md</c>), written atomically; publishing again replaces the file. The
/// link it gives is the file's path in that repository (<c>postmortems/2023-08-05-INC-42-ddos.md</c>), as GitHub's would
/// be, so a draft and its messages read the same wherever the bot ran.
/// </summary>
public sealed class LocalRepositoryPublisher(IOptions<PostmortemOptions> options, ILogger<LocalRepositoryPublisher> log) : IPostmortemPublisher
{
    private readonly string _root = LocalFolder.Ensure(options.Value);

    public async Task<string> PublishAsync(PostmortemDraft draft, CancellationToken cancellationToken)
    {
        var (incidentKey, path, markdown) = (draft.IncidentKey, draft.Path, draft.Markdown);
        var root = _root;
        var file = Path.GetFullPath(Path.Combine(root, path));
        if (!file.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new Core.Effects.PermanentEffectException($"The postmortem path '{path}' leaves {root} (setting GitHub:PostmortemPath).");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, markdown, cancellationToken);
        File.Move(temp, file, overwrite: true);
        log.LogInformation("Postmortem draft of {Incident} written to {File}", incidentKey, file);
        return Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
    }
}
