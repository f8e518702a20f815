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
/// same task again finds the file.
/// </summary>
public sealed class LocalIssueTracker(IOptions<PostmortemOptions> options, ILogger<LocalIssueTracker> log) : IIssueTracker
{
    private string Folder { get; } = LocalFolder.Ensure(options.Value, "issues");

    public async Task<FiledIssue> FileAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Folder, request.Marker.Replace('/', '-') + ".md");
        if (File.Exists(file))
        {
            return new FiledIssue(file, await ReadStateAsync(file, cancellationToken) ?? "open");
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
        return new FiledIssue(file, "open");
    }

    public async Task<string?> GetStateAsync(string url, CancellationToken cancellationToken) =>
        url.StartsWith(Folder, StringComparison.Ordinal) && File.Exists(url) ? await ReadStateAsync(url, cancellationToken) : null;

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
