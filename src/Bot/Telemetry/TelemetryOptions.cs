namespace Bot.Telemetry;

/// <summary>Settings of the <c>OpenTelemetry</c> section: where traces go, how often the store's gauges are counted.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "OpenTelemetry";

    /// <summary>
    /// <c>OpenTelemetry:Otlp:Endpoint</c>: an OTLP collector (<c>http://collector:4318</c> for HTTP, <c>:4317</c> for
    /// gRPC) that takes the bot's traces and metrics. Unset: nothing is exported (metrics are still on <c>/metrics</c>).
    /// </summary>
    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>
    /// The share of traces recorded (0 to 1; default 1: all). A trace a sender started (its <c>traceparent</c> says
    /// sampled) is always recorded. Lower it when a storm's traces cost more than they tell.
    /// </summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>How often the store's incidents and jobs are counted for the gauges. Default 15 s.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(15);

    public sealed class OtlpOptions
    {
        public Uri? Endpoint { get; set; }

        /// <summary><c>grpc</c> or <c>http/protobuf</c> (default: http/protobuf, the collector's port 4318).</summary>
        public string Protocol { get; set; } = "http/protobuf";
    }
}
