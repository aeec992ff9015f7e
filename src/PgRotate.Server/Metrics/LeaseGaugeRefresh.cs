using Microsoft.AspNetCore.Http;

namespace PgRotate.Server.Metrics;

/// <summary>Brings the <see cref="LeaseGauges"/> up to date before <c>/metrics</c> is answered, so a scrape sees the store's leases as they are now.</summary>
internal sealed class LeaseGaugeRefresh(RequestDelegate next, LeaseGauges gauges)
{
    public const string MetricsPath = "/metrics";

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path == MetricsPath)
        {
            await gauges.RefreshAsync(context.RequestAborted).ConfigureAwait(false);
        }

        await next(context).ConfigureAwait(false);
    }
}
