using Microsoft.Extensions.Options;

namespace Bot.Core.Postmortems;

/// <summary>Checks <see cref="PostmortemOptions"/> at start-up; each failure names the setting's key.</summary>
public sealed class PostmortemOptionsValidator : IValidateOptions<PostmortemOptions>
{
    public ValidateOptionsResult Validate(string? name, PostmortemOptions options)
    {
        var errors = new List<string>();
        const string s = PostmortemOptions.SectionName;
        if (string.IsNullOrWhiteSpace(options.PostmortemPath) || !options.PostmortemPath.EndsWith(".md", StringComparison.Ordinal) || !options.PostmortemPath.Contains("{id}", StringComparison.Ordinal))
        {
            errors.Add($"{s}:PostmortemPath is '{options.PostmortemPath}'; it must contain {{id}} and end with .md (default postmortems/{{date}}-{{id}}-{{slug}}.md).");
        }
        else if (options.PostmortemPath.StartsWith('/') || options.PostmortemPath.Split('/', '\\').Contains(".."))
        {
            errors.Add($"{s}:PostmortemPath is '{options.PostmortemPath}'; it must stay inside the repository (no leading / and no ..).");
        }

        if (string.IsNullOrWhiteSpace(options.LocalDirectory))
        {
            errors.Add($"{s}:LocalDirectory must be a folder (default data/repo).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
