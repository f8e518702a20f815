using System.Text;
using Bot.Core.Ports;
using Bot.Core.Postmortems;
using Bot.Core.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bot.GitHub.Local;

/// <summary>
/// Without GitHub settings: each task is a Markdown file under <c>&lt;GitHub:LocalDirectory&gt;/issues/</c>, named by
/// its marker (<c>INC-42-task-1.md</c>), with a <c>state:</c> line that people may change to <c>closed</c>. Filing the
/// same task again finds the file. Its link is its path in the repository (<c>issues/INC-42-task-1.md</c>).
/// </summary>
public sealed class LocalIssueTracker(IOptions<PostmortemOptions> options, ILogger<LocalIssueTracker> log) : IIssueTracker
{
    private const string Issues = "issues";

    private string Root { get; } = LocalFolder.Ensure(options.Value);

    private string Folder => Path.Combine(Root, Issues);

    public async Task<FiledIssue> FileAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        var name = request.Marker.Replace('/', '-') + ".md";
        var file = Path.Combine(Folder, name);
        var link = $"{Issues}/{name}";
        if (File.Exists(file))
        {
            return new FiledIssue(link, await ReadStateAsync(file, cancellationToken) ?? "open");
        }

        var text = new StringBuilder()
            .Append("---\nstate: open\nlabels: [").Append(string.Join(", ", request.Labels)).Append("]\n")
            .Append(request.Assignee is null ? "" : $"assignee: {request.Assignee}\n")
            .Append("---\n# ").Append(request.Title).Append("\n\n").Append(request.Body).ToString();
        Directory.CreateDirectory(Folder);
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, text, cancellationToken);
        File.Move(temp, file, overwrite: true);
        log.LogInformation("Task {Marker} filed as {File}", request.Marker, file);
        return new FiledIssue(link, "open");
    }

    /// <summary>The state of an issue file by its link (<c>issues/INC-42-task-1.md</c>; a full path, as earlier versions gave, too).</summary>
    public async Task<string?> GetStateAsync(string url, CancellationToken cancellationToken)
    {
        var file = Path.GetFullPath(Path.Combine(Root, url));
        return file.StartsWith(Folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(file) ? await ReadStateAsync(file, cancellationToken) : null;
    }

    private static async Task<string?> ReadStateAsync(string file, CancellationToken cancellationToken)
    {
        foreach (var line in await File.ReadAllLinesAsync(file, cancellationToken))
        {
            if (line.StartsWith("state:", StringComparison.Ordinal))
            {
                return line["state:".Length..].Trim();
            }
        }

        return null;
    }
}
