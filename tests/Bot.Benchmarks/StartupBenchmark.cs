using System.Diagnostics;
using System.Globalization;
using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// Start to <c>/readyz</c>: the bot started as its own process N times, each on a fresh data folder (so each creates its
/// SQLite database and schema), timed from process start to the first 200 of <c>/readyz</c>. Prints min, median, max for
/// two builds of the bot, started alternately so that both see the machine alike: the build output beside this
/// benchmark (what <c>dotnet run</c> starts), and the bot published as <c>manifests/container/Dockerfile</c> publishes it
/// (Release, ReadyToRun: what a deployment starts). <c>--built</c> measures the first alone.
/// </summary>
internal static class StartupBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(11);
        var settings = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal)).ToArray();
        var bots = new List<(string Name, string Dll, List<double> Times)> { ("build output, Release", BotProcess.BuiltBot, []) };
        string? published = null;
        if (!args.Contains("--built"))
        {
            published = await PublishAsync();
            bots.Add(("published, ReadyToRun (the container image)", Path.Combine(published, "Bot.dll"), []));
        }

        try
        {
            for (var i = 0; i < runs; i++)
            {
                foreach (var (_, dll, times) in bots)
                {
                    await using var bot = await BotProcess.StartBotAsync(dll, settings);
                    times.Add(bot.StartToReady.TotalMilliseconds);
                }
            }
        }
        finally
        {
            if (published is not null)
            {
                Directory.Delete(published, recursive: true);
            }
        }

        foreach (var (name, _, times) in bots)
        {
            times.Sort();
            Console.WriteLine(
                $"start to /readyz, {name}, over {runs} starts (fresh database each): min {times[0]:0} ms, median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms" +
                $"{(settings.Length == 0 ? "" : $"; settings: {string.Join(" ", settings)}")}");
        }

        return 0;
    }

    /// <summary>Publishes src/Bot as the Dockerfile does (Release; Bot.csproj sets ReadyToRun), for this machine's runtime.</summary>
    private static async Task<string> PublishAsync()
    {
        var output = Path.Combine(Path.GetTempPath(), "bot-published", Guid.NewGuid().ToString("n"));
        var publish = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["publish", RepoFile.Path("src/Bot/Bot.csproj"), "-c", "Release", "-o", output, "--nologo"])
        {
            publish.ArgumentList.Add(a);
        }

        Console.WriteLine($"publishing the bot as the Dockerfile does: dotnet {string.Join(" ", publish.ArgumentList)}");
        using var process = Process.Start(publish)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}): {await stdout}{await stderr}");
        }

        return output;
    }
}
