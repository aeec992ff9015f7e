using Npgsql;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Roles;
using PgRotate.Secrets;
using PgRotate.Setup;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// <c>secret add --strategy dynamic</c>: registers the secret with its lease settings and sets up its group role
/// (NOLOGIN, owns the data), created when missing, taken as it is when it exists and cannot log in. No login role
/// exists until a lease is issued. A non-superuser admin login also gets what ending a lease needs on the group:
/// REASSIGN OWNED … TO the group checks that the caller may act as it (SET), and DROP OWNED revokes only the grants the
/// caller holds the grantor's privileges for, which for what the lease granted acting as the group means the group's
/// (INHERIT). On 16+ that is <c>WITH INHERIT TRUE, SET TRUE</c>, no more than SET alone already allows (the login can
/// act as the group either way); on 15 a plain membership, which is both. Idempotent like <c>secret add</c>: a rerun with the same settings mends a missing group.
/// </summary>
public sealed class DynamicSecretSetup(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    private readonly TargetOperations _target = new(connector, time);

    public async Task<SetupResult> AddAsync(DynamicSecretRequest request, bool dryRun, CancellationToken cancellationToken)
    {
        var name = SecretName.ParseSecret(request.Name);
        var group = RoleName.Parse(request.Group, "group role name", RoleName.MaxBytes - 1 - LeaseRoleNames.RandomLength);
        var settings = LeaseSettings.Create(name, request.DefaultTtl, request.MaxTtl, request.NameTemplate);
        LeaseRoleNames.Prefix(settings.NameTemplate, group);
        var requested = new Secret(name, SecretName.ParseTarget(request.Target), Strategy.Dynamic, group, group, null, null, null, null,
            Adoption.None, time.GetUtcNow(), null);
        var target = await store.GetTargetAsync(requested.Target, cancellationToken).ConfigureAwait(false);
        var existing = await store.FindSecretAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is not null && (!existing.SameShapeAs(requested) ||
            await store.Leases.GetLeaseSettingsAsync(name, cancellationToken).ConfigureAwait(false) != settings))
        {
            throw new PgRotateException(ErrorCode.AlreadyExists,
                $"secret {name} already exists with other settings ({existing.Strategy.WireName()} group {existing.Group} on {existing.Target}); pgrotate secret show {name} shows them");
        }

        var secret = existing ?? requested;
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var roles = await RoleCatalog.ReadAsync(connection, [group.Value], cancellationToken).ConfigureAwait(false);
        var adminRole = await RoleCatalog.SessionUserAsync(connection, cancellationToken).ConfigureAwait(false);
        var plan = RoleSetupPlanner.Plan(secret, roles, adminRole, null, adopt: false, known: existing is not null);
        await RotatorPrivileges.EnsureSufficientAsync(connection, secret, target.Name, cancellationToken).ConfigureAwait(false);
        List<RoleStatement> statements = [.. plan.Statements, .. await SelfGrantAsync(connection, group, cancellationToken).ConfigureAwait(false)];
        if (dryRun)
        {
            return new SetupResult(secret, statements, DryRun: true, Stored: false, null);
        }

        var isNew = existing is null;
        if (isNew)
        {
            await store.Leases.AddDynamicSecretAsync(secret, settings, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await _target.ApplyAsync(target, statements, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (isNew)
        {
            // Nothing half-written: the statements ran in one transaction, and the secret goes again.
            await store.DeleteSecretAsync(secret.Name, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new SetupResult(secret, statements, DryRun: false, Stored: isNew, null);
    }

    /// <summary>The admin login's grant on the group that ending leases needs, when it lacks it (none for a superuser).</summary>
    private static async Task<IReadOnlyList<RoleStatement>> SelfGrantAsync(NpgsqlConnection connection, RoleName group, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(
            """
            SELECT current_setting('server_version_num')::int, rolsuper,
                   EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'MEMBER')
                   AND pg_has_role(current_user, $1, 'USAGE')
                   AND (current_setting('server_version_num')::int < 160000 OR pg_has_role(current_user, $1, 'SET'))
            FROM pg_roles WHERE rolname = current_user
            """, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = group.Value });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var (version, superuser, holds) = (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2));
        return superuser || holds ? [] : [RoleSql.GrantToSelf(group, version, inherit: true, set: true)];
    }
}
