using Npgsql;
using PgRotate.Audit;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Store;
using PgRotate.Targets;

namespace PgRotate.Leases;

/// <summary>
/// Ends leases so that their roles are really gone. A lease is first marked ending in the store (so a crash leaves a
/// revocation the reaper finishes), then its role is dropped by <see cref="DropRoleAsync"/>, whose every step is safe to
/// repeat; a failure is recorded on the lease with its error and the time of the next attempt (backoff doubling from
/// <see cref="FirstRetry"/> up to <see cref="LastRetry"/>) and counted on <see cref="LeaseMetrics"/>.
/// </summary>
public sealed class LeaseRevoker(ISecretStore store, TargetConnector connector, TimeProvider time)
{
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LastRetry = TimeSpan.FromMinutes(10);

    private readonly TargetOperations _target = new(connector, time);

    /// <summary>
    /// <c>lease revoke</c>: ends the lease now. A lease already ended is returned as it is; a failure to drop its role
    /// is recorded (the reaper retries it) and thrown.
    /// </summary>
    public async Task<Lease> RevokeAsync(string id, string reason, CancellationToken cancellationToken)
    {
        var lease = await store.Leases.MarkLeaseRevokingAsync(LeaseIds.Parse(id), reason, ReaperTakesOverAt(), cancellationToken).ConfigureAwait(false);
        return lease.State == LeaseState.Revoked ? lease : await AttemptAsync(lease, throwOnFailure: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends every lease <paramref name="actor"/> issued that has not ended (a revoked token's); returns how many were ended, failures retried later by the reaper.</summary>
    public async Task<int> RevokeIssuedByAsync(string actor, string reason, CancellationToken cancellationToken)
    {
        var revoked = 0;
        foreach (var lease in await store.Leases.ListLeasesAsync(new LeaseFilter(IssuedBy: actor), cancellationToken).ConfigureAwait(false))
        {
            var ending = await store.Leases.MarkLeaseRevokingAsync(lease.Id, reason, ReaperTakesOverAt(), cancellationToken).ConfigureAwait(false);
            if (ending.State != LeaseState.Revoked && (await AttemptAsync(ending, throwOnFailure: false, cancellationToken).ConfigureAwait(false)).State == LeaseState.Revoked)
            {
                revoked++;
            }
        }

        return revoked;
    }

    /// <summary>
    /// One attempt at a lease that is ending (or an active one whose expiry passed, for the reaper): its role dropped and
    /// the lease marked revoked, or the failure recorded with the next attempt's time.
    /// </summary>
    internal async Task<Lease> AttemptAsync(Lease lease, bool throwOnFailure, CancellationToken cancellationToken)
    {
        var reason = lease.RevokeReason ?? LeaseRevocationReasons.Expired;
        try
        {
            var secret = await store.GetSecretAsync(lease.Secret, cancellationToken).ConfigureAwait(false);
            var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
            await DropRoleAsync(target, secret.Group, RoleName.Parse(lease.Role), cancellationToken).ConfigureAwait(false);
            var revoked = await store.Leases.MarkLeaseRevokedAsync(lease.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            await store.Audit.AppendAsync(RevokedRecord(lease), cancellationToken).ConfigureAwait(false);
            LeaseMetrics.RecordRevoked(lease.Secret, reason);
            return revoked;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = PostgresErrors.Scrub(e.Message);
            var nextAttempt = time.GetUtcNow() + Backoff(lease.RevokeAttempts + 1);
            LeaseMetrics.RecordRevocationFailure(lease.Secret);
            var failed = await store.Leases.RecordRevocationFailureAsync(lease.Id, error, nextAttempt, CancellationToken.None).ConfigureAwait(false);
            await store.Audit.AppendAsync(new AuditRecord(LeaseAuditActions.RevocationFailed, store.Actor, lease.Secret,
                Detail: $"lease {lease.Id}: role {lease.Role} not dropped ({reason}), attempt {failed.RevokeAttempts}, next at {nextAttempt:u}: {error}"), CancellationToken.None).ConfigureAwait(false);
            if (throwOnFailure)
            {
                throw new PgRotateException(e is PgRotateException known ? known.Code : ErrorCode.PostgresError,
                    $"lease {lease.Id} is revoked but its role {lease.Role} is not dropped yet ({error}); 'pgrotate lease reap' retries it, next at {nextAttempt:u}", e);
            }

            return failed;
        }
    }

    /// <summary>
    /// One attempt at many leases of one secret that are ending (the reaper's batch): their roles dropped together by
    /// <see cref="LeaseRoleBatchDrop"/>, then all marked revoked in one store transaction and audited in one append, one
    /// entry per lease. When anything in the batch fails, each lease gets an attempt of its own
    /// (<see cref="AttemptAsync"/>), so a role that cannot be dropped is recorded for retry and the others still end.
    /// Returns the leases as they ended up.
    /// </summary>
    internal async Task<IReadOnlyList<Lease>> AttemptManyAsync(string secretName, IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await store.GetSecretAsync(secretName, cancellationToken).ConfigureAwait(false);
            var target = await store.GetTargetAsync(secret.Target, cancellationToken).ConfigureAwait(false);
            var drop = new LeaseRoleBatchDrop(connector, (role, ct) => DropRoleAsync(target, secret.Group, role, ct));
            await drop.DropAsync(target, [.. leases.Select(l => RoleName.Parse(l.Role))], cancellationToken).ConfigureAwait(false);
            var at = time.GetUtcNow();
            await store.Leases.MarkLeasesRevokedAsync([.. leases.Select(l => l.Id)], at, cancellationToken).ConfigureAwait(false);
            await store.Audit.AppendManyAsync([.. leases.Select(RevokedRecord)], cancellationToken).ConfigureAwait(false);
            foreach (var lease in leases)
            {
                LeaseMetrics.RecordRevoked(lease.Secret, lease.RevokeReason ?? LeaseRevocationReasons.Expired);
            }

            return [.. leases.Select(l => l with
            {
                State = LeaseState.Revoked, RevokeReason = l.RevokeReason ?? LeaseRevocationReasons.Expired, RevokedAt = at, NextAttemptAt = null,
            })];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var results = new List<Lease>(leases.Count);
            foreach (var lease in leases)
            {
                results.Add(await AttemptAsync(lease, throwOnFailure: false, cancellationToken).ConfigureAwait(false));
            }

            return results;
        }
    }

    private AuditRecord RevokedRecord(Lease lease) => new(LeaseAuditActions.Revoked, store.Actor, lease.Secret,
        Detail: $"lease {lease.Id}: role {lease.Role} dropped ({lease.RevokeReason ?? LeaseRevocationReasons.Expired})");

    /// <summary>
    /// When a lease this revoker marks ending becomes the reaper's work: not at once, since the revoker makes the first
    /// attempt itself right away (a reaper waking meanwhile would drop the same role too, and audit and count the
    /// revocation twice), but soon enough to finish it if this process dies before recording an outcome.
    /// </summary>
    private DateTimeOffset ReaperTakesOverAt() => time.GetUtcNow() + FirstRetry;

    /// <summary>How long after failed attempt <paramref name="attempt"/> the next one is due.</summary>
    public static TimeSpan Backoff(int attempt)
    {
        var delay = FirstRetry * Math.Pow(2, Math.Min(attempt - 1, 16));
        return delay < LastRetry ? delay : LastRetry;
    }

    /// <summary>
    /// Drops a lease role, each step idempotent so a rerun after a crash or a failure finishes the job: no new logins
    /// (NOLOGIN), its sessions ended, then in every database where it owns objects or holds privileges
    /// <c>REASSIGN OWNED BY role TO group</c> and <c>DROP OWNED BY role</c> in one transaction (so DROP OWNED never
    /// drops what REASSIGN could not move), then <c>DROP ROLE IF EXISTS</c>. A role already gone is nothing to do.
    /// </summary>
    internal async Task DropRoleAsync(Target target, RoleName group, RoleName role, CancellationToken cancellationToken)
    {
        IReadOnlyList<string?> databases;
        var connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (!await ExistsAsync(connection, role, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        await _target.ApplyAsync(target, [RoleSql.NoLogin(role)], cancellationToken).ConfigureAwait(false);
        await _target.TerminateSessionsAsync(target, [role], cancellationToken).ConfigureAwait(false);
        connection = await connector.OpenAdminAsync(target, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            databases = await DatabasesWithDependenciesAsync(connection, role, cancellationToken).ConfigureAwait(false);
        }

        var moveAndDrop = new[] { RoleSql.ReassignOwned([role], group), RoleSql.DropOwned([role]) };
        foreach (var database in databases.OfType<string>().Where(d => d != target.Database))
        {
            await ApplyInDatabaseAsync(target, database, moveAndDrop, cancellationToken).ConfigureAwait(false);
        }

        // The target's own database last, with the DROP ROLE: shared objects (dbid 0) are reassigned from here too.
        var here = databases.Any(d => d is null || d == target.Database) ? moveAndDrop : [];
        await _target.ApplyAsync(target, [.. here, RoleSql.DropIfExists(role)], cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyInDatabaseAsync(Target target, string database, IReadOnlyList<RoleStatement> statements, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await connector.OpenAdminAsync(target, database, cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            foreach (var statement in statements)
            {
                var command = new NpgsqlCommand(statement.Text, connection, transaction);
                await using var closeCommand = command.ConfigureAwait(false);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PgRotateException)
        {
            throw PostgresErrors.Translate(e, $"on target {target.Name}, database {Sql.Identifier(database)}, {string.Join("; ", statements.Select(s => s.Display))}", target);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, RoleName role, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = role.Value });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    private static async Task<IReadOnlyList<string?>> DatabasesWithDependenciesAsync(NpgsqlConnection connection, RoleName role, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(LeaseSql.DatabasesWithDependencies, connection);
        await using var closeCommand = command.ConfigureAwait(false);
        command.Parameters.Add(new NpgsqlParameter { Value = role.Value });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var databases = new List<string?>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            databases.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
        }

        return databases;
    }
}
