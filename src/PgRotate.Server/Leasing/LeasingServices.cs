using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using PgRotate.Leases;

namespace PgRotate.Server.Leasing;

/// <summary>
/// What the server needs for leases: one <see cref="LeaseSignal"/> (the lease endpoints' <see cref="LeaseIssuer"/>
/// notifies it, the reaper waits on it), the reaper as a hosted service, and the <see cref="LeaseMetrics"/> meter among
/// those exported.
/// </summary>
internal static class LeasingServices
{
    public static IServiceCollection AddLeasing(this IServiceCollection services)
    {
        services.AddSingleton<LeaseSignal>();
        services.AddHostedService<LeaseReaping>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(LeaseMetrics.MeterName));
        return services;
    }
}
