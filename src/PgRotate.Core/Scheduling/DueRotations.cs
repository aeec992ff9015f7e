using System.Collections.Concurrent;
using PgRotate.Errors;
using PgRotate.Rotation;
using PgRotate.Store;

namespace PgRotate.Scheduling;

/// <summary>
/// One scheduler tick (<c>rotate --all-due</c>, run from cron or a systemd timer): applies grace ends an interrupted run
/// left unset, then rotates every due secret. Each secret is on its own: whatever one throws is recorded and the others
/// still run; a secret another process is rotating is skipped as in progress (the next tick sees it finished), and a
/// due secret whose previous login is still inside its grace waits for it to end instead of cutting its clients. A due
/// secret whose schedule has a window that is closed now waits for it to open (unless its rotation was interrupted:
/// that one is always finished).
/// </summary>
public sealed class DueRotations(RotationEngine engine, ISecretStore store, TimeProvider? time = null)
{
    /// <param name="parallel">How many rotations run at once, at least 1 (a lower number would not bound them).</param>
    public Task<DueRun> RunAsync(int parallel, CancellationToken cancellationToken) => RunAsync(parallel, _ => true, cancellationToken);

    /// <param name="parallel">How many rotations run at once, at least 1 (a lower number would not bound them).</param>
    /// <param name="include">Which due secrets to rotate this time (a scheduler leaves out those it is backing off).</param>
    public async Task<DueRun> RunAsync(int parallel, Func<string, bool> include, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        var repaired = new ConcurrentBag<string>();
        var rotated = new ConcurrentBag<RotationResult>();
        var inProgress = new ConcurrentBag<string>();
        var waiting = new ConcurrentBag<DueRun.Waiting>();
        var failed = new ConcurrentBag<DueRun.Failure>();

        foreach (var (secret, version, _, _) in await store.ListUnappliedGraceAsync(cancellationToken).ConfigureAwait(false))
        {
            await IsolatedAsync(secret, failed, inProgress, async () =>
            {
                if (await engine.RepairGraceAsync(secret, version, cancellationToken).ConfigureAwait(false))
                {
                    repaired.Add(secret);
                }
            }, cancellationToken).ConfigureAwait(false);
        }

        var interrupted = await store.ListInterruptedRotationsAsync(cancellationToken).ConfigureAwait(false);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var due = (await engine.DueAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => include(s.Name) && (interrupted.Contains(s.Name) || s.Schedule is null || s.Schedule.AllowsStartAt(now)))
            .ToList();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (secret, ct) =>
        {
            await IsolatedAsync(secret.Name, failed, inProgress, async () =>
            {
                // An interrupted rotation is finished whatever the grace: its pending login may already have the new
                // password. A new one waits; it stays due, so the first tick after the grace ends rotates it.
                if (!interrupted.Contains(secret.Name) && await engine.GraceEndAsync(secret.Name, ct).ConfigureAwait(false) is var (login, until))
                {
                    waiting.Add(new DueRun.Waiting(secret.Name, login, until));
                    return;
                }

                rotated.Add(await engine.RotateAsync(new RotationRequest(secret.Name, OnlyIfDue: true), ct).ConfigureAwait(false));
            }, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        return new DueRun(
            repaired.Order(StringComparer.Ordinal).ToList(),
            rotated.OrderBy(r => r.Secret, StringComparer.Ordinal).ToList(),
            inProgress.Distinct().Order(StringComparer.Ordinal).ToList(),
            waiting.OrderBy(w => w.Secret, StringComparer.Ordinal).ToList(),
            failed.OrderBy(f => f.Secret, StringComparer.Ordinal).ToList());
    }

    private static async Task IsolatedAsync(string secret, ConcurrentBag<DueRun.Failure> failed, ConcurrentBag<string> inProgress, Func<Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (PgRotateException e) when (e.Code == ErrorCode.RotationInProgress)
        {
            inProgress.Add(secret);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            failed.Add(new DueRun.Failure(secret, e));
        }
    }
}
