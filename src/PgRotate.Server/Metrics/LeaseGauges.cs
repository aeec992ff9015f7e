using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Server.Metrics;

/// <summary>
/// Gauges of the leases in the store, per secret: <c>pgrotate_leases_active</c> (logins that work) and
/// <c>pgrotate_leases_revoking</c> (leases that ended whose login is not dropped yet: a revocation being retried). They
/// count what the store holds, so leases issued by other processes sharing it count too. The store is read when
/// <c>/metrics</c> is scraped (<see cref="RefreshAsync"/>), at most once per <see cref="ServerSettings.LeaseGaugeRefresh"/>; the counters of
/// issued, renewed and revoked leases and of failed revocations are the core's <see cref="LeaseMetrics"/>.
/// </summary>
internal sealed partial class LeaseGauges : IDisposable
{
    private readonly ISecretStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseGauges> _logger;
    private readonly TimeSpan _refreshEvery;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private Counts _counts = new(DateTimeOffset.MinValue, new Dictionary<(string, LeaseState), int>());

    public LeaseGauges(IMeterFactory meters, ISecretStore store, TimeProvider time, ServerSettings settings, ILogger<LeaseGauges> logger)
    {
        (_store, _time, _logger, _refreshEvery) = (store, time, logger, settings.LeaseGaugeRefresh);
        var meter = meters.Create(ServerMetrics.MeterName);
        meter.CreateObservableGauge("pgrotate.leases.active", () => Measure(LeaseState.Active), "{lease}", "Leases whose login works, by secret");
        meter.CreateObservableGauge("pgrotate.leases.revoking", () => Measure(LeaseState.Revoking), "{lease}",
            "Leases that ended and whose login is not dropped yet (retried with backoff), by secret");
    }

    /// <summary>Reads the store's leases unless that was done within the refresh interval; a failure keeps the last counts (and is logged).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_time.GetUtcNow() - Volatile.Read(ref _counts).At < _refreshEvery)
        {
            return;
        }

        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (now - _counts.At < _refreshEvery)
            {
                return;
            }

            var leases = await _store.Leases.ListLeasesAsync(new LeaseFilter(), cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _counts, new Counts(now, leases.CountBy(l => (l.Secret, l.State)).ToDictionary()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RefreshFailed(_logger, e.GetType().Name, PostgresErrors.Scrub(e.Message));
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose() => _refreshing.Dispose();

    private IEnumerable<Measurement<int>> Measure(LeaseState state) =>
        Volatile.Read(ref _counts).BySecretAndState.Where(c => c.Key.Item2 == state)
            .Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("secret", c.Key.Item1)));

    [LoggerMessage(LogLevel.Warning, "counting leases for /metrics failed ({Type}): {Message}")]
    private static partial void RefreshFailed(ILogger logger, string type, string message);

    private sealed record Counts(DateTimeOffset At, IReadOnlyDictionary<(string, LeaseState), int> BySecretAndState);
}
