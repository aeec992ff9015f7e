using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Server.Leasing;

/// <summary>
/// Runs the core's <see cref="LeaseReaper"/> for as long as the server runs: expired leases revoked promptly (it sleeps
/// until the next expiry the store knows of, at most <see cref="LeaseReaper.MaxSleep"/>, and wakes when this server
/// issues a lease through <see cref="LeaseSignal"/>), failed revocations retried with backoff, and the orphan sweep every
/// <see cref="LeaseReaper.SweepEvery"/>. Its revocations are audited as the reaper's.
/// </summary>
internal sealed class LeaseReaping(ISecretStore store, TargetConnector connector, TimeProvider time, LeaseSignal signal, ILoggerFactory logs) : BackgroundService
{
    public const string Actor = "lease-reaper";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reaper = store.WithActor(Actor);
        await using var closeReaper = reaper.ConfigureAwait(false);
        try
        {
            await new LeaseReaper(reaper, connector, time, signal, logs.CreateLogger<LeaseReaper>()).RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
