using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Setup;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Rotation;

/// <summary>
/// Rotates a target's own admin credential in place (the <see cref="Secrets.Strategy.Single"/> mechanism applied to
/// the rotator): the new password is stored as pending first; the admin changes its own password (any role may);
/// a fresh login proves it; the store then promotes it. After a crash between set and finish the stored admin
/// password no longer works, so a rerun logs in with the pending one and only finishes.
/// </summary>
public sealed class AdminRotation(SqliteStore store, TargetConnector connector, TimeProvider time)
{
    public async Task<string> RotateAsync(string targetName, CancellationToken cancellationToken)
    {
        using var held = await new SecretLocks(store.Path, time).AcquireAsync("target:" + targetName, null, cancellationToken, $"the admin password of target {targetName}").ConfigureAwait(false);
        var target = await store.GetTargetAsync(targetName, cancellationToken).ConfigureAwait(false);
        var pending = await store.FindTargetPendingPasswordAsync(targetName, cancellationToken).ConfigureAwait(false);
        if (pending is not null && await LogsInAsync(target, pending, cancellationToken).ConfigureAwait(false))
        {
            await store.PromoteTargetPasswordAsync(targetName, cancellationToken).ConfigureAwait(false);
            await connector.ResetAsync(target).ConfigureAwait(false);
            return target.Username;
        }

        if (pending is null)
        {
            pending = PasswordGenerator.Generate();
            await store.SetTargetPendingPasswordAsync(targetName, pending, cancellationToken).ConfigureAwait(false);
        }

        await using (var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false))
        {
            var iterations = await SecretSetup.ScramIterationsAsync(connection, cancellationToken).ConfigureAwait(false);
            var statement = RoleSql.SetOwnPassword(ScramVerifier.Create(pending, iterations));
            await SecretSetup.ApplyAsync(connection, [statement], target.Name, cancellationToken).ConfigureAwait(false);
        }

        if (!await LogsInAsync(target, pending, cancellationToken).ConfigureAwait(false))
        {
            throw new PgRotateException(ErrorCode.RotationFailed,
                $"the new admin password of target {targetName} was set but does not log in; the stored pending password will be retried by the next 'pgrotate target rotate-admin {targetName}'");
        }

        await store.PromoteTargetPasswordAsync(targetName, cancellationToken).ConfigureAwait(false);
        await connector.ResetAsync(target).ConfigureAwait(false);
        return target.Username;
    }

    private async Task<bool> LogsInAsync(Target target, SecretText password, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await connector.OpenAsAsync(target, target.Username, password, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PgRotateException e) when (e.Code == ErrorCode.AuthenticationFailed)
        {
            return false;
        }
    }
}
