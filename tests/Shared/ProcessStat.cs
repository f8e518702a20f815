using System.Globalization;

namespace Bot.Tests.Shared;

/// <summary>A Linux process's <c>/proc/PID/stat</c>: its command name and the CPU time it has used (user and system).</summary>
public static class ProcessStat
{
    public static TimeSpan CpuTime(int pid) => Read(pid).Cpu;

    /// <summary>The process's command name (as <c>comm</c>, at most 15 characters) and its CPU time so far.</summary>
    public static (string Name, TimeSpan Cpu) Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')'); // the name may hold spaces and parentheses: it ends at the last ')'
        var fields = stat[(close + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (stat[(stat.IndexOf('(') + 1)..close], TimeSpan.FromSeconds(ticks / 100.0)); // clock ticks: 100 a second on Linux
    }
}
