using Microsoft.Extensions.Logging;
using PgRotate.Audit;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Server.Metrics;
using PgRotate.Server.Watching;
using PgRotate.Store;

namespace PgRotate.Server.Hosting;

/// <summary>
/// Rotations the server runs, asked for through the API or due on schedule: each one is counted and timed, appended to
/// the audit log, and wakes the watchers of its secret the moment it is promoted.
/// </summary>
public sealed class ServerRotations(TargetConnector connector, TimeProvider time, SecretWatchers watchers, ServerMetrics metrics, ServerSettings settings, ILoggerFactory logs)
{
    public RotationEngine Engine(ISecretStore store) =>
        new(store, connector, time, new RotationOptions { LockWait = settings.RotationLockWait }, logger: logs.CreateLogger<RotationEngine>());

    /// <summary>One rotation for a caller of the API; failures are recorded and rethrown for the error response.</summary>
    public async Task<RotationResult> RotateAsync(ISecretStore store, RotationRequest request, string? address, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        RotationResult result;
        try
        {
            result = await Engine(store).RotateAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await FailedAsync(store, request.Secret, e, "api", address, cancellationToken).ConfigureAwait(false);
            throw;
        }

        await SucceededAsync(store, result, "api", address, time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        return result;
    }

    public async Task SucceededAsync(ISecretStore store, RotationResult result, string trigger, string? address, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        // Watchers first: they are waiting for exactly this, and the audit append is not what they wait for.
        watchers.Signal(result.Secret);
        metrics.Rotation("succeeded", trigger, elapsed);
        await store.Audit.AppendAsync(new AuditRecord("rotation.finished", store.Actor, result.Secret, result.Version, address,
            $"current login {result.Username}{(result.PreviousRevoked ? ", previous revoked" : "")}"), cancellationToken).ConfigureAwait(false);
    }

    public async Task FailedAsync(ISecretStore store, string secret, Exception error, string trigger, string? address, CancellationToken cancellationToken)
    {
        var inProgress = error is PgRotateException { Code: ErrorCode.RotationInProgress };
        metrics.Rotation(inProgress ? "in_progress" : "failed", trigger, TimeSpan.Zero);
        if (!inProgress)
        {
            // pgrotate's own messages never hold a secret; anything else is scrubbed of what a driver might quote.
            var message = error is PgRotateException known ? known.Message : PostgresErrors.Scrub(error.Message);
            await store.Audit.AppendAsync(new AuditRecord("rotation.failed", store.Actor, secret, null, address, message), cancellationToken).ConfigureAwait(false);
        }
    }
}
