using Bot.TestKit;
using Microsoft.Extensions.Logging;

namespace Bot.Acceptance.Tests;

/// <summary>A host's log entries captured (<see cref="LogCapture"/>).</summary>
public static class LogCaptureHosting
{
    public static void AddTo(this LogCapture capture, WebApplicationBuilder builder) =>
        builder.Logging.AddProvider(capture).SetMinimumLevel(LogLevel.Debug);
}
