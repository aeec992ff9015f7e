using Microsoft.Extensions.Logging;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;
using PgRotate.Server.Metrics;
using PgRotate.Server.Watching;
using PgRotate.Store;

namespace PgRotate.Server.Hosting;

/// <summary>
/// Rotations the server runs, asked for through the API or due on schedule: each one is counted and timed, appended to
/// by the engine, and wakes the watchers of its secret the moment it is promoted.
/// </summary>
internal sealed class ServerRotations(TargetConnector connector, TimeProvider time, SecretWatchers watchers, Caching.CredentialCache credentials, ServerMetrics metrics, ServerSettings settings, ILoggerFactory logs)
{
    public RotationEngine Engine(ISecretStore store) =>
        new(store, connector, time, new RotationOptions { LockWait = settings.RotationLockWait }, logger: logs.CreateLogger<RotationEngine>());

    /// <summary>One rotation for a caller of the API; the engine audits it, a failure is counted and rethrown for the error response.</summary>
    public async Task<RotationResult> RotateAsync(ISecretStore store, RotationRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        RotationResult result;
        try
        {
            result = await Engine(store).RotateAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failed(e, "api");
            throw;
        }

        Succeeded(result, "api", time.GetElapsedTime(started));
        return result;
    }

    /// <summary>
    /// A rotation promoted by this server. The engine has already written it to the audit log (with its actor), as it
    /// does for the CLI; what is left is what only a server has: the watchers waiting for it, and the metrics.
    /// </summary>
    public void Succeeded(RotationResult result, string trigger, TimeSpan elapsed)
    {
        // The cached answer goes before the watchers are woken, so they (and every read after this) see the new version.
        credentials.Invalidate(result.Secret);
        watchers.Signal(result.Secret);
        metrics.Rotation("succeeded", trigger, elapsed);
    }

    public void Failed(Exception error, string trigger) =>
        metrics.Rotation(error is PgRotateException { Code: ErrorCode.RotationInProgress } ? "in_progress" : "failed", trigger, TimeSpan.Zero);
}
