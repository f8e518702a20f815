using System.Globalization;

namespace Bot.Benchmarks;

/// <summary>
/// A control group with a CPU quota, for a replica that should have its own share of the machine as it would on a node
/// of its own (a Kubernetes CPU limit is the same quota): cgroup v2's <c>cpu.max</c>, or v1's <c>cpu.cfs_quota_us</c>.
/// Needs root. Removed on dispose, once the processes in it have ended.
/// </summary>
internal sealed class CpuCap : IDisposable
{
    private const int PeriodMicroseconds = 100_000;

    private readonly string _folder;

    private CpuCap(string folder, double cores) => (_folder, Cores) = (folder, cores);

    /// <summary>The quota, in cores.</summary>
    public double Cores { get; }

    /// <summary>The file a process writes its id to, to join the group.</summary>
    public string Procs => Path.Combine(_folder, "cgroup.procs");

    /// <summary>A group named <paramref name="name"/> with <paramref name="cores"/> cores' quota; none without a quota.</summary>
    public static CpuCap? For(string name, double? cores) => cores is { } c ? Create(name, c) : null;

    private static CpuCap Create(string name, double cores)
    {
        var quota = ((int)(cores * PeriodMicroseconds)).ToString(CultureInfo.InvariantCulture);
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            // v2: the root must hand the cpu controller down to its children.
            File.WriteAllText("/sys/fs/cgroup/cgroup.subtree_control", "+cpu");
            var folder = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup", name)).FullName;
            File.WriteAllText(Path.Combine(folder, "cpu.max"), $"{quota} {PeriodMicroseconds}");
            return new CpuCap(folder, cores);
        }

        if (Directory.Exists("/sys/fs/cgroup/cpu"))
        {
            var folder = Directory.CreateDirectory(Path.Combine("/sys/fs/cgroup/cpu", name)).FullName;
            File.WriteAllText(Path.Combine(folder, "cpu.cfs_period_us"), PeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(folder, "cpu.cfs_quota_us"), quota);
            return new CpuCap(folder, cores);
        }

        throw new InvalidOperationException("No cgroup CPU controller under /sys/fs/cgroup: --replica-cpus cannot be used here.");
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
