using Bot.Benchmarks;

// dotnet run -c Release --project tests/Bot.Benchmarks -- ingest [--seconds N] [--connections 4,50] [--no-alertmanager]
// dotnet run -c Release --project tests/Bot.Benchmarks -- ingest-postgres [--seconds N] [--connections 50,4] [--one-replica] [--storm] [--routes] [--replica-cpus 0.5 [--replica-pinned]] [--partitioned]
//     [--pg-locale en_US.UTF-8] [--no-alertmanager]   (Alertmanager takes the same alerts after the bot, unless told not to)
// dotnet run -c Release --project tests/Bot.Benchmarks -- startup [--runs 11] [--built]
// dotnet run -c Release --project tests/Bot.Benchmarks -- store [--storm] [--webhooks 20000] [--routes] [--hashed-fingerprints] [--notes]
// dotnet run -c Release --project tests/Bot.Benchmarks -- parse [--webhooks 200000]
// dotnet run -c Release --project tests/Bot.Benchmarks -- storm [--alerts 1000000] [--rounds 2] [--routes] [--replica-cpus 1 [--replica-pinned]]
// dotnet run -c Release --project tests/Bot.Benchmarks -- slash
// dotnet run -c Release --project tests/Bot.Benchmarks -- escalation
// dotnet run -c Release --project tests/Bot.Benchmarks -- console [--incidents 10000] [--rounds 200]
// Any of the webhook benchmarks: --hashed-fingerprints, alerts' fingerprints spread as Alertmanager's are (a hash of
// the labels), not in the order the benchmark makes them.
IngestBenchmark.HashedFingerprints = args.Contains("--hashed-fingerprints");
try
{
    return args.FirstOrDefault() switch
    {
        "store" => await StoreBenchmark.RunAsync(args),
        "parse" => await ParseBenchmark.RunAsync(args),
        "startup" => await StartupBenchmark.RunAsync(args),
        "ingest-postgres" => await IngestBenchmark.RunPostgresAsync(args),
        "storm" => await StormBenchmark.RunAsync(args),
        "slash" => await SlashCommandBenchmark.RunAsync(args),
        "escalation" => await EscalationBenchmark.RunAsync(args),
        "console" => await ConsoleBenchmark.RunAsync(args),
        _ => await IngestBenchmark.RunAsync(args),
    };
}
catch (BadOptionsException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
