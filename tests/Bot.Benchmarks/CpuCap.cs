using System.Globalization;
using Bot.Tests.Shared;

namespace Bot.Benchmarks;

/// <summary>
/// A control group with a CPU quota, for a replica that should have its own share of the machine as it would on a node
/// of its own (a Kubernetes CPU limit is the same quota): cgroup v2's <c>cpu.max</c>, or v1's <c>cpu.cfs_quota_us</c>.
/// Its processes may also be kept on whole CPUs of their own, as many as the quota rounded up (Kubernetes' static CPU
/// manager policy, <c>docker run --cpuset-cpus</c>): the quota then never throttles threads that would otherwise spend it
/// on two CPUs in half a period. Needs root. Removed on dispose, once the processes in it have ended.
/// </summary>
internal sealed class CpuCap : IDisposable
{
    private const int PeriodMicroseconds = 100_000;

    private readonly string _folder;

    private CpuCap(string folder, double cores, string? cpus) => (_folder, Cores, Cpus) = (folder, cores, cpus);

    /// <summary>The quota, in cores.</summary>
    public double Cores { get; }

    /// <summary>The CPUs its processes are kept on (<c>taskset</c>'s list), or null for any.</summary>
    public string? Cpus { get; }

    /// <summary>How a process joins the group (and its CPUs) as it starts.</summary>
    public ControlGroup Group => new(Path.Combine(_folder, "cgroup.procs"), Cpus);

    /// <summary>
    /// A group named <paramref name="name"/> with <paramref name="cores"/> cores' quota, its processes kept on the CPUs from
    /// <paramref name="firstCpu"/> on (as many as the quota, rounded up) when one is given; none without a quota.
    /// </summary>
    public static CpuCap? For(string name, double? cores, int? firstCpu = null) => cores is { } c ? Create(name, c, firstCpu) : null;

    private static CpuCap Create(string name, double cores, int? firstCpu)
    {
        string? cpus = null;
        if (firstCpu is { } first)
        {
            var last = first + (int)Math.Ceiling(cores) - 1;
            if (last >= Environment.ProcessorCount)
            {
                throw new BadOptionsException($"CPUs {first}-{last} asked for, but this machine has {Environment.ProcessorCount} (0-{Environment.ProcessorCount - 1})");
            }

            cpus = first == last ? $"{first}" : $"{first}-{last}";
        }

        var quota = ((int)(cores * PeriodMicroseconds)).ToString(CultureInfo.InvariantCulture);
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            // v2: the root must hand the cpu controller down to its children.
            File.WriteAllText("/sys/fs/cgroup/cgroup.subtree_control", "+cpu");
            var folder = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup", name)).FullName;
            File.WriteAllText(Path.Combine(folder, "cpu.max"), $"{quota} {PeriodMicroseconds}");
            return new CpuCap(folder, cores, cpus);
        }

        if (Directory.Exists("/sys/fs/cgroup/cpu"))
        {
            var folder = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup/cpu", name)).FullName;
            File.WriteAllText(Path.Combine(folder, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(folder, "cpu.cfs_quota_us"), quota);
            return new CpuCap(folder, cores, cpus);
        }

        throw new BadOptionsException("No cgroup CPU controller under /sys/fs/cgroup: --replica-cpus cannot be used here.");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder); // a cgroup's files are not files: rmdir of the folder alone removes it
        }
        catch (IOException)
        {
            // a process still in it (it is killed just before): left for the next run's name to differ
        }
    }
}

/// <summary>Options that do not go together, or ask for what the machine has not: said, with no stack trace.</summary>
internal sealed class BadOptionsException(string message) : Exception(message);
