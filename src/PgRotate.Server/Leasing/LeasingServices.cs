using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using PgRotate.Leases;

namespace PgRotate.Server.Leasing;

/// <summary>
/// What the server needs for leases: one <see cref="LeaseSignal"/> (the lease endpoints' <see cref="LeaseIssuer"/>
/// notifies it, the reaper waits on it), one <see cref="RotatorFacts"/> shared by every issuer, the reaper as a hosted service, and the <see cref="LeaseMetrics"/> meter among
/// those exported.
/// </summary>
internal static class LeasingServices
{
    public static IServiceCollection AddLeasing(this IServiceCollection services)
    {
        services.AddSingleton<LeaseSignal>();
        // One for every request's issuer: what a target's lease statements depend on is read once a minute, not per lease.
        services.AddSingleton<RotatorFacts>();
        services.AddHostedService<LeaseReaping>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(LeaseMetrics.MeterName));
        return services;
    }
}
