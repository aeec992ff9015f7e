using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Rotation;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Setup;

/// <summary>
/// <c>secret remove</c>: forgets a secret, and with <c>dropRoles</c> first drops its two login roles on the target.
/// A dynamic secret's leases are revoked (their roles dropped) before it is forgotten, with or without it.
/// The group role, which owns the data, is never dropped: what the logins own in the target database is reassigned to
/// it, then their remaining privileges are dropped with them.
/// </summary>
public sealed class SecretRemoval(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    private readonly TargetOperations _target = new(connector, time);

    public async Task<RemovalResult> RemoveAsync(string name, bool dropRoles, bool dryRun, CancellationToken cancellationToken)
    {
        var secret = await store.GetSecretAsync(SecretName.ParseSecret(name), cancellationToken).ConfigureAwait(false);
        if (dropRoles && RotationStrategies.For(secret).GroupIsTheLogin)
        {
            throw PgRotateException.InvalidInput(
                $"secret {secret.Name} uses the {secret.Strategy.WireName()} strategy: its one role {secret.Group} is the role that owns the data, which pgrotate never drops; remove the secret without --drop-roles");
        }

        // Not while a rotation of this secret is running (it would recreate what is being removed).
        var held = dryRun ? NothingToRelease.Instance : await store.Locks.AcquireAsync(LockKey.Secret(secret.Name), null, cancellationToken).ConfigureAwait(false);
        await using var closeHeld = held.ConfigureAwait(false);
        // A dynamic secret's leases end first; one that cannot be revoked keeps the secret (and this throws).
        var leases = new LeasesOfRemovedSecret(store, connector, time);
        var revokedLeases = dryRun
            ? await leases.ListOpenAsync(secret, cancellationToken).ConfigureAwait(false)
            : await leases.RevokeAllAsync(secret, cancellationToken).ConfigureAwait(false);
        if (!dropRoles)
        {
            if (!dryRun)
            {
                await store.RemoveSecretAsync(secret.Name, cancellationToken).ConfigureAwait(false);
            }

            return new RemovalResult(secret, DropRoles: false, [], [], 0, dryRun) { RevokedLeases = revokedLeases };
        }

        var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var roles = await RoleCatalog.ReadAsync(connection, secret.Logins.Select(l => l.Value), cancellationToken).ConfigureAwait(false);
        // A login already gone (an earlier run dropped it, or a DBA did) is skipped, so a rerun finishes the job.
        var logins = secret.Logins.Where(l => roles.ContainsKey(l.Value) && l != secret.Group).ToList();
        foreach (var login in logins)
        {
            if (string.Equals(login.Value, target.Username, StringComparison.Ordinal) || roles[login.Value].IsSuperuser)
            {
                throw new PgRotateException(ErrorCode.IncompatibleState,
                    $"login {login} of secret {secret.Name} is the target's admin role or a superuser; pgrotate does not drop it. Nothing was changed");
            }
        }

        var close = logins.Select(RoleSql.NoLogin).ToList();
        var drop = logins.Count == 0
            ? []
            : new List<RoleStatement> { RoleSql.ReassignOwned(logins, secret.Group), RoleSql.DropOwned(logins) }.Concat(logins.Select(RoleSql.DropRole)).ToList();
        // Shown with the array written out, so the dry run's text runs as it is; the real run passes it as a parameter.
        var terminate = RoleSql.TerminateSessions.Replace("$1", Sql.Literal("{" + string.Join(",", logins.Select(l => l.Value)) + "}") + "::name[]", StringComparison.Ordinal);
        var shown = logins.Count == 0 ? [] : close.Select(s => s.Display).Append(terminate).Concat(drop.Select(s => s.Display)).ToList();
        if (dryRun)
        {
            return new RemovalResult(secret, DropRoles: true, shown, logins.Select(l => l.Value).ToList(), 0, DryRun: true);
        }

        if (logins.Count > 0)
        {
            await EnsureCanDropAsync(connection, secret, logins, target.Name, cancellationToken).ConfigureAwait(false);
        }

        // First no new logins, then end the sessions still open, then move ownership and drop: a session opened
        // between the last two steps cannot exist.
        await _target.ApplyAsync(target, close, cancellationToken).ConfigureAwait(false);
        var terminated = await _target.TerminateSessionsAsync(target, logins, cancellationToken).ConfigureAwait(false);
        await _target.ApplyAsync(target, drop, cancellationToken).ConfigureAwait(false);
        await store.RemoveSecretAsync(secret.Name, cancellationToken).ConfigureAwait(false);
        return new RemovalResult(secret, DropRoles: true, shown, logins.Select(l => l.Value).ToList(), terminated, DryRun: false);
    }

    /// <summary>
    /// REASSIGN OWNED and DROP OWNED need the privileges of the logins and of the group (and from 17 on, being able to
    /// SET ROLE to the new owner), and ending a login's sessions needs those of the login: a least-privilege rotator
    /// (ADMIN OPTION without INHERIT or SET on 16+, CREATEROLE alone on 15) has none of them. Checked before the first statement, so a refusal changes nothing, and the message gives the
    /// GRANT that fixes it.
    /// </summary>
    private static async Task EnsureCanDropAsync(NpgsqlConnection connection, Secret secret, IReadOnlyList<RoleName> logins, string targetName, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            """
            SELECT current_user::text, current_setting('server_version_num')::int,
                   array(SELECT r FROM unnest($1::text[]) AS r
                         WHERE NOT pg_has_role(current_user, r::name, 'USAGE')
                            OR (current_setting('server_version_num')::int >= 160000 AND NOT pg_has_role(current_user, r::name, 'SET')))
            """,
            connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = logins.Select(l => l.Value).Append(secret.Group.Value).ToArray() });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (user, version, lacking) = (reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<string[]>(2));
        if (lacking.Length == 0)
        {
            return;
        }

        var grant = $"GRANT {string.Join(", ", lacking.Select(Sql.Identifier))} TO {Sql.Identifier(user)}" + (version >= 160000 ? " WITH INHERIT TRUE, SET TRUE;" : ";");
        throw new PgRotateException(ErrorCode.PermissionDenied,
            $"{user} cannot drop the logins of secret {secret.Name} on target {targetName}: ending their sessions, REASSIGN OWNED and DROP OWNED need the privileges of {string.Join(", ", lacking)}. "
            + $"Run as a superuser: {grant} (or drop the logins as a superuser and run 'pgrotate secret remove {secret.Name}' without --drop-roles). Nothing was changed");
    }
}
