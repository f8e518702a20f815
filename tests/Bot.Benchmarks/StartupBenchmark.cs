using System.Globalization;
using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// Start to <c>/readyz</c>: the bot started as its own process N times, each on a fresh data folder (so each creates its
/// SQLite database and schema), timed from process start to the first 200 of <c>/readyz</c>. Prints min, median, max.
/// </summary>
internal static class StartupBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(9);
        var settings = args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal)).ToArray();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await using var bot = await BotProcess.StartAsync(settings);
            times.Add(bot.StartToReady.TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine(
            $"start to /readyz over {runs} starts (fresh database each): min {times[0]:0} ms, median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms" +
            $"{(settings.Length == 0 ? "" : $"; settings: {string.Join(" ", settings)}")}");
        return 0;
    }
}
