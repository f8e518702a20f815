using System.Globalization;

namespace Bot.Tests.Shared;

/// <summary>A Linux process's <c>/proc/PID/stat</c>: its parent and the CPU time it has used (user and system).</summary>
public static class ProcessStat
{
    public static TimeSpan CpuTime(int pid) => Read(pid).Cpu;

    /// <summary>The process's parent's id and its CPU time so far.</summary>
    public static (int Parent, TimeSpan Cpu) Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // the name may hold spaces and parentheses: it ends at the last ')'
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(ticks / 100.0)); // clock ticks: 100 a second on Linux
    }
}
