using Bot.Core;
using Bot.Core.Postmortems;

namespace Bot.GitHub.Local;

/// <summary>The local repository's folder, made at start so that a folder that cannot be used stops the start, naming its setting.</summary>
internal static class LocalFolder
{
    public static string Ensure(PostmortemOptions options, params string[] below)
    {
        var folder = Path.GetFullPath(Path.Combine([options.LocalDirectory, .. below]));
        try
        {
            Directory.CreateDirectory(folder);
            return folder;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BotStartupException(
                $"{PostmortemOptions.SectionName}:{nameof(PostmortemOptions.LocalDirectory)} '{options.LocalDirectory}' cannot be used: {e.Message}", e);
        }
    }
}
