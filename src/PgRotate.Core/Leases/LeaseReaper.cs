using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PgRotate.Postgres;
using PgRotate.Store;

namespace PgRotate.Leases;

/// <summary>
/// Ends leases whose time has come: one <see cref="RunOnceAsync"/> pass revokes every active lease whose expiry has
/// passed and retries every failed revocation whose next attempt is due, in chunks of one secret's leases revoked
/// together (one admin connection and a few round trips per chunk), <see cref="Parallelism"/> chunks at a time, then runs
/// the <see cref="OrphanSweep"/>. <see cref="RunAsync"/> repeats passes for a long-running process: it sleeps until the
/// next expiry or retry the store knows of (at most <see cref="MaxSleep"/>, so leases issued by other processes on the
/// same store are found too), and is woken early by <see cref="LeaseSignal"/> when this process issues a lease.
/// PostgreSQL already refuses an expired lease's password at login; the reaper is what ends its open sessions and
/// removes the role.
/// </summary>
public sealed partial class LeaseReaper(ISecretStore store, TargetConnector connector, TimeProvider time, LeaseSignal? signal = null, ILogger? logger = null)
{
    public const int Parallelism = 4;
    public static readonly TimeSpan MaxSleep = TimeSpan.FromSeconds(5);

    /// <summary>How often the orphan sweep runs inside <see cref="RunAsync"/> (it lists roles on every target with a dynamic secret).</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(5);

    /// <summary>How many due leases one pass takes from the store at a time.</summary>
    private const int Batch = 256;

    /// <summary>
    /// How many leases of one secret are revoked together on one admin connection (<see cref="LeaseRevoker.AttemptManyAsync"/>):
    /// the round trips per chunk are the same whatever its size, so a full batch is a few chunks run side by side.
    /// </summary>
    private const int ChunkSize = 64;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly LeaseRevoker _revoker = new(store, connector, time);

    /// <summary>The orphan sweep this reaper runs; its safety margin can be changed for tests.</summary>
    public OrphanSweep Sweep { get; } = new(store, connector, time);

    /// <summary>One pass: due leases revoked (or their failures recorded), then the orphan sweep.</summary>
    public async Task<ReapResult> RunOnceAsync(CancellationToken cancellationToken) =>
        await RunOnceAsync(sweep: true, cancellationToken).ConfigureAwait(false);

    private async Task<ReapResult> RunOnceAsync(bool sweep, CancellationToken cancellationToken)
    {
        var (revoked, failed) = (0, 0);
        while (true)
        {
            var due = await store.Leases.ListDueLeasesAsync(time.GetUtcNow(), Batch, cancellationToken).ConfigureAwait(false);
            if (due.Count == 0)
            {
                break;
            }

            // Marked ending first, all in one transaction: a crash from here on leaves revocations the next pass finishes.
            var ending = await store.Leases.MarkLeasesRevokingAsync([.. due.Select(l => l.Id)], LeaseRevocationReasons.Expired, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            var chunks = ending.GroupBy(l => l.Secret, StringComparer.Ordinal).SelectMany(g => g.Chunk(ChunkSize).Select(c => (Secret: g.Key, Leases: c)));
            await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (chunk, ct) =>
            {
                foreach (var result in await _revoker.AttemptManyAsync(chunk.Secret, chunk.Leases, ct).ConfigureAwait(false))
                {
                    if (result.State == LeaseState.Revoked)
                    {
                        Interlocked.Increment(ref revoked);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        LogRevocationFailed(_logger, result.Id, result.Role, result.RevokeAttempts, result.LastError ?? "");
                    }
                }
            }).ConfigureAwait(false);

            // Failed ones are due again only later, revoked ones never: a short batch means nothing is left for now.
            if (due.Count < Batch)
            {
                break;
            }
        }

        var swept = sweep ? await Sweep.RunAsync(cancellationToken).ConfigureAwait(false) : [];
        return new ReapResult(revoked, failed, swept);
    }

    /// <summary>Passes until cancelled; a pass that fails as a whole (store or target unreachable) is logged and retried after <see cref="MaxSleep"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lastSweep = (DateTimeOffset?)null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = MaxSleep;
            try
            {
                var sweep = lastSweep is not { } last || time.GetUtcNow() - last >= SweepEvery;
                await RunOnceAsync(sweep, cancellationToken).ConfigureAwait(false);
                lastSweep = sweep ? time.GetUtcNow() : lastSweep;
                if (await store.Leases.NextLeaseDueAsync(cancellationToken).ConfigureAwait(false) is { } next)
                {
                    var untilNext = next - time.GetUtcNow();
                    wait = untilNext < wait ? untilNext : wait;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPassFailed(_logger, e.Message);
            }

            if (signal is null)
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await signal.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "lease {Lease}: dropping role {Role} failed (attempt {Attempts}), retried later: {Error}")]
    private static partial void LogRevocationFailed(ILogger logger, string lease, string role, int attempts, string error);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "lease reaper pass failed, retried shortly: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);
}
