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
    /// How to start <paramref name="program"/> (its arguments added after), in <paramref name="group"/> when one is given:
    /// a shell joins the group, keeps itself on the group's CPUs if it names them (<c>taskset</c>), and becomes the program
    /// (exec keeps its process id, which the caller then measures; the CPUs are the program's from its first instruction,
    /// as a container's cpuset is).
    /// </summary>
    public static System.Diagnostics.ProcessStartInfo StartInfo(string program, ControlGroup? group)
    {
        if (group is null)
        {
            return new System.Diagnostics.ProcessStartInfo(program);
        }

        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh");
        string[] arguments = group.Cpus is null
            ? ["-c", "echo $$ > \"$0\" && exec \"$@\"", group.Procs, program]
            : ["-c", "echo $$ > \"$0\" && cpus=\"$1\" && shift && exec taskset -c \"$cpus\" \"$@\"", group.Procs, group.Cpus, program];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}

/// <summary>
/// A control group a measured process runs in: its <c>cgroup.procs</c> file (the group, with a CPU quota say, made by the
/// caller), and the CPUs the process is kept on (a <c>taskset</c> list such as <c>0</c> or <c>0-1</c>), if any.
/// </summary>
public sealed record ControlGroup(string Procs, string? Cpus = null);
