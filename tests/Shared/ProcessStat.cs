using System.Globalization;

namespace Bot.Tests.Shared;

/// <summary>
/// A Linux process's <c>/proc/PID/stat</c>: its parent and the CPU time it has used (user and system); and how to start a
/// process the tests measure, in a control group of its own when asked.
/// </summary>
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

    /// <summary>
    /// How to start <paramref name="program"/> (its arguments added after), in the control group whose
    /// <c>cgroup.procs</c> is <paramref name="cgroupProcs"/> when one is given: a shell joins the group and becomes the
    /// program (exec keeps its process id, which the caller then measures).
    /// </summary>
    public static System.Diagnostics.ProcessStartInfo StartInfo(string program, string? cgroupProcs)
    {
        if (cgroupProcs is null)
        {
            return new System.Diagnostics.ProcessStartInfo(program);
        }

        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh");
        foreach (var argument in new[] { "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroupProcs, program })
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
