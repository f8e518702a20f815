using System.Diagnostics;
using Bot.Core.Intake;

namespace Bot.Benchmarks;

/// <summary>
/// The Alertmanager parser alone, in process, on the storm's payloads (5 alerts each): CPU time and bytes allocated a
/// webhook. The bytes are exact, whatever the machine's speed.
/// </summary>
internal static class ParseBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        var count = IngestBenchmark.Option(args, "--webhooks", 200_000);
        var parser = new AlertmanagerParser();
        var payloads = Enumerable.Range(0, 1_000).Select(n => IngestBenchmark.Payload(n, groups: 1)).ToArray();
        var alerts = 0L;
        foreach (var phase in new[] { "warm-up", "measured" })
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < count; i++)
            {
                alerts += parser.Parse(payloads[i % payloads.Length], "alertmanager", DateTimeOffset.UnixEpoch).Alerts.Count;
            }

            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
            Console.WriteLine($"{phase}: {count} webhooks parsed, CPU/webhook {cpu.TotalMicroseconds / count:0.0} µs, allocated/webhook {bytes / count:0} bytes");
        }

        return Task.FromResult(alerts > 0 ? 0 : 1);
    }
}
