using Bot.Core.Incidents;
using Bot.Core.Ports;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Bot.Composition;

/// <summary>Ready when the store answers a query.</summary>
internal sealed class StoreHealthCheck(IIncidentReads store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (StoreUnavailableException e)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
