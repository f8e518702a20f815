using Bot.Core.Telemetry;
using Bot.Security;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bot.Telemetry;

/// <summary>
/// The bot's telemetry on OpenTelemetry: its meter (and the runtime's, ASP.NET Core's and Kestrel's) served on
/// <c>/metrics</c> in Prometheus' text format, to tokens with the scope <c>metrics</c>; with
/// <c>OpenTelemetry:Otlp:Endpoint</c>, its traces and metrics sent there too. Without an endpoint no trace is recorded at
/// all.
/// </summary>
public static class TelemetryServices
{
    public static WebApplicationBuilder AddBotTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName);
        services.AddSingleton<LatestStoreStats>();
        services.AddHostedService<StoreGauges>();
        var settings = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = settings.Otlp;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("incident-bot"))
            .WithMetrics(metrics =>
            {
                // ASP.NET Core's own: each request's time from the server reading it to its answer (http.server.request.duration,
                // by route and status) and the connections Kestrel holds; ~50 bytes a request.
                metrics.AddMeter(BotTelemetry.Name, "System.Runtime", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                    .AddPrometheusExporter();
                if (otlp?.Endpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter(o => Configure(o, otlp, endpoint, "v1/metrics"));
                }
            });
        if (otlp?.Endpoint is { } traces)
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(settings.TraceSampleRatio, 0, 1))))
                .AddSource(BotTelemetry.Name, "Microsoft.AspNetCore", "System.Net.Http")
                .AddOtlpExporter(o => Configure(o, otlp, traces, "v1/traces")));
        }

        return builder;
    }

    /// <summary><c>GET /metrics</c>, for tokens with the scope <c>metrics</c> (and loopback while no token is set).</summary>
    public static void MapMetrics(this WebApplication app) =>
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(ApiScopes.Metrics);

    private static void Configure(OtlpExporterOptions o, TelemetryOptions.OtlpOptions settings, Uri endpoint, string path)
    {
        var grpc = string.Equals(settings.Protocol, "grpc", StringComparison.OrdinalIgnoreCase);
        o.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        o.Endpoint = grpc ? endpoint : new Uri(endpoint.ToString().TrimEnd('/') + "/" + path);
    }
}
