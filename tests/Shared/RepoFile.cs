namespace Bot.Tests.Shared;

/// <summary>Files of the repository (manifests, example settings, projects), found above the test's or benchmark's folder.</summary>
public static class RepoFile
{
    public static string Path(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Bot.sln")))
        {
            dir = dir.Parent;
        }

        return System.IO.Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("Bot.sln not found above the test folder"), relative);
    }
}
