using Npgsql;
using PgRotate.Audit;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Leases;

/// <summary>
/// Drops lease roles that no lease names: what a crash between creating a lease's role and storing the lease leaves
/// behind. For each dynamic secret it considers only roles that have exactly the shape of its lease role names
/// (<see cref="LeaseRoleNames"/>), are members of its group, and carry pgrotate's issue-time comment older than
/// <see cref="SafetyMargin"/> (so a lease being stored at this moment is not swept); it never touches the group, any
/// other role, or a role an active or ending lease names. Each orphan is dropped like a revoked lease's role.
/// </summary>
public sealed class OrphanSweep(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    /// <summary>Issuing a lease takes well under a second between its role and its row; this leaves ample room.</summary>
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromMinutes(2);

    private readonly LeaseRevoker _revoker = new(store, connector, time);

    /// <summary>Sweeps every dynamic secret; returns the roles dropped. A secret whose target fails is skipped (its error logged by the target operations) and swept next time.</summary>
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken)
    {
        var swept = new List<string>();
        foreach (var secret in await store.ListSecretsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (secret.Strategy != Strategy.Dynamic)
            {
                continue;
            }

            try
            {
                swept.AddRange(await SweepAsync(secret, cancellationToken).ConfigureAwait(false));
            }
            catch (PgRotateException e) when (e.Code is ErrorCode.TargetUnreachable or ErrorCode.PostgresError or ErrorCode.PermissionDenied or ErrorCode.AuthenticationFailed)
            {
                // The next sweep tries again; the orphans do no harm meanwhile (their VALID UNTIL has passed or will).
            }
        }

        return swept;
    }

    private async Task<IReadOnlyList<string>> SweepAsync(Secret secret, CancellationToken cancellationToken)
    {
        var settings = await store.Leases.GetLeaseSettingsAsync(secret.Name, cancellationToken).ConfigureAwait(false);
        var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
        var prefix = LeaseRoleNames.Prefix(settings.NameTemplate, secret.Group);
        var candidates = new List<string>();
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = new NpgsqlCommand(
                """
                SELECT r.rolname::text, shobj_description(r.oid, 'pg_authid')
                FROM pg_roles r
                WHERE left(r.rolname, length($1)) = $1 AND r.rolname <> $2
                  AND EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid AND g.rolname = $2)
                """, connection);
            await using var closeCommand = command.ConfigureAwait(false);
            command.Parameters.Add(new NpgsqlParameter { Value = prefix });
            command.Parameters.Add(new NpgsqlParameter { Value = secret.Group.Value });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            var now = time.GetUtcNow();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var role = reader.GetString(0);
                if (LeaseRoleNames.IsLeaseRole(role, prefix) &&
                    LeaseSql.IssuedAt(reader.IsDBNull(1) ? null : reader.GetString(1)) is { } issuedAt && now - issuedAt >= SafetyMargin)
                {
                    candidates.Add(role);
                }
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        // Read after the roles: a lease stored in between is known here, so its role is not taken for an orphan.
        var known = await store.Leases.ListLeaseRolesAsync(secret.Name, cancellationToken).ConfigureAwait(false);
        var swept = new List<string>();
        foreach (var role in candidates.Where(r => !known.Contains(r)))
        {
            await _revoker.DropRoleAsync(target, secret.Group, RoleName.Parse(role), cancellationToken).ConfigureAwait(false);
            await store.Audit.AppendAsync(new AuditRecord(LeaseAuditActions.Swept, store.Actor, secret.Name,
                Detail: $"role {role}: no lease names it; dropped"), cancellationToken).ConfigureAwait(false);
            LeaseMetrics.RecordRevoked(secret.Name, LeaseRevocationReasons.Orphan);
            swept.Add(role);
        }

        return swept;
    }
}
