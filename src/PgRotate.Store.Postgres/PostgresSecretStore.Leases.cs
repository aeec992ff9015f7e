using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Postgres;
using PgRotate.Secrets;

namespace PgRotate.Store.Postgres;

/// <summary>Dynamic secrets' lease settings and their leases, each row authenticated, each password sealed to its lease.</summary>
public sealed partial class PostgresSecretStore : ILeaseStore
{
    private const string LeaseColumns =
        "id, secret, role, issued_at, expires_at, max_expires_at, issued_by, state, revoke_reason, revoke_attempts, last_error, next_attempt_at, revoked_at, mac";

    public ILeaseStore Leases => this;

    private string LeasesTable => Sql.Identifier(Connection.Schema) + ".leases";

    private string LeaseSettingsTable => Sql.Identifier(Connection.Schema) + ".lease_settings";

    public Task AddDynamicSecretAsync(Secret secret, LeaseSettings settings, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await InsertSecretRowAsync(db, transaction, secret, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(db, transaction,
            $"INSERT INTO {LeaseSettingsTable}(secret, default_ttl_ms, max_ttl_ms, name_template, mac) VALUES ($1, $2, $3, $4, $5)", cancellationToken,
            secret.Name, (long)settings.DefaultTtl.TotalMilliseconds, (long)settings.MaxTtl.TotalMilliseconds, settings.NameTemplate,
            _values.LeaseSettingsMac(settings)).ConfigureAwait(false);
        await AppendHistoryAsync(db, transaction, secret.Name, null, "created", $"{secret.Strategy.WireName()} on target {secret.Target}", cancellationToken).ConfigureAwait(false);
        await PostgresStoreChanges.NotifyAsync(db, transaction, Connection.Schema, secret.Name, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task<LeaseSettings> GetLeaseSettingsAsync(string secret, CancellationToken cancellationToken) => ReadAsync(async db =>
    {
        var command = Command(db, null, $"SELECT default_ttl_ms, max_ttl_ms, name_template, mac FROM {LeaseSettingsTable} WHERE secret = $1", secret);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        return await _values.ReadLeaseSettingsAsync(reader, secret, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task AddLeaseAsync(Lease lease, SecretText password, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        // The commit does not wait for the store server's disk (it survives anything but that server crashing within a
        // moment): a lease lost that way leaves a role no lease names, which the orphan sweep drops. Issuing is the hot path.
        await ExecuteAsync(db, transaction, "SET LOCAL synchronous_commit = off", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(db, transaction,
                $"INSERT INTO {LeasesTable}({LeaseColumns}, password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, 0, NULL, NULL, NULL, $9, $10)", cancellationToken,
                lease.Id, lease.Secret, lease.Role, Utc(lease.IssuedAt), Utc(lease.ExpiresAt), Utc(lease.MaxExpiresAt), lease.IssuedBy, lease.State.WireName(),
                _values.LeaseMac(lease), _values.SealLeasePassword(lease.Id, lease.Secret, lease.Role, password)).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a lease with id {lease.Id} or role {lease.Role} already exists", e);
        }
    }, cancellationToken);

    public async Task<Lease> GetLeaseAsync(string id, CancellationToken cancellationToken) =>
        (await ReadAsync(db => ReadLeasesAsync(db, null, "WHERE id = $1", cancellationToken, id), cancellationToken).ConfigureAwait(false)).SingleOrDefault()
            ?? throw LeaseNotFound(id);

    public async Task<SecretText> OpenLeasePasswordAsync(string id, CancellationToken cancellationToken)
    {
        var lease = await GetLeaseAsync(id, cancellationToken).ConfigureAwait(false);
        var sealedValue = await ReadAsync(db => ScalarAsync<byte[]>(db, null, $"SELECT password FROM {LeasesTable} WHERE id = $1", cancellationToken, id), cancellationToken).ConfigureAwait(false);
        return _values.OpenLeasePassword(sealedValue!, lease.Id, lease.Secret, lease.Role);
    }

    public Task<IReadOnlyList<Lease>> ListLeasesAsync(LeaseFilter filter, CancellationToken cancellationToken)
    {
        // Only the conditions asked for, so that every parameter has a type PostgreSQL can infer.
        var conditions = new List<string>();
        var values = new List<object?>();
        if (filter.Secret is { } secret)
        {
            values.Add(secret);
            conditions.Add($"secret = ${values.Count}");
        }

        if (filter.IssuedBy is { } issuedBy)
        {
            values.Add(issuedBy);
            conditions.Add($"issued_by = ${values.Count}");
        }

        if (!filter.IncludeRevoked)
        {
            conditions.Add("state <> 'revoked'");
        }

        var where = (conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions)) + " ORDER BY issued_at, id";
        return ReadAsync(db => ReadLeasesAsync(db, null, where, cancellationToken, [.. values]), cancellationToken);
    }

    public Task<IReadOnlyList<Lease>> ListDueLeasesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadAsync(db => ReadLeasesAsync(db, null,
            $"""
            WHERE id IN (SELECT id FROM {LeasesTable} WHERE state = 'active' AND expires_at <= $1
                         UNION ALL SELECT id FROM {LeasesTable} WHERE state = 'revoking' AND next_attempt_at <= $1)
            ORDER BY coalesce(next_attempt_at, expires_at) LIMIT $2
            """, cancellationToken, Utc(now), limit), cancellationToken);

    public async Task<DateTimeOffset?> NextLeaseDueAsync(CancellationToken cancellationToken) =>
        // A timestamptz reads as a UTC DateTime.
        await ReadAsync(db => ScalarAsync<DateTime?>(db, null,
            $"SELECT least((SELECT min(expires_at) FROM {LeasesTable} WHERE state = 'active'), (SELECT min(next_attempt_at) FROM {LeasesTable} WHERE state = 'revoking'))",
            cancellationToken), cancellationToken).ConfigureAwait(false) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    public Task<Lease> RenewLeaseAsync(string id, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Active
                ? ("expires_at = $2", [Utc(expiresAt)])
                : throw new PgRotateException(ErrorCode.IncompatibleState, $"lease {id} has ended ({lease.RevokeReason}); it cannot be renewed"),
            cancellationToken);

    public Task<Lease> MarkLeaseRevokingAsync(string id, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Active
                ? ("state = 'revoking', revoke_reason = $2, next_attempt_at = $3", [reason, Utc(nextAttemptAt)])
                : default,
            cancellationToken);

    public Task<Lease> RecordRevocationFailureAsync(string id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Revoked
                ? default
                : ("state = 'revoking', revoke_reason = coalesce(revoke_reason, 'expired'), revoke_attempts = revoke_attempts + 1, last_error = $2, next_attempt_at = $3", [error, Utc(nextAttemptAt)]),
            cancellationToken);

    public Task<Lease> MarkLeaseRevokedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Revoked
                ? default
                : ("state = 'revoked', revoke_reason = coalesce(revoke_reason, 'expired'), revoked_at = $2, next_attempt_at = NULL", [Utc(at)]),
            cancellationToken);

    public Task<IReadOnlyList<Lease>> MarkLeasesRevokingAsync(IReadOnlyList<string> ids, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<Lease>>(async (db, transaction) =>
        {
            // As one object: a string[] passed alone would be taken for the params array itself.
            object idArray = ids.ToArray();
            await ExecuteAsync(db, transaction,
                $"UPDATE {LeasesTable} SET state = 'revoking', revoke_reason = $2, next_attempt_at = $3 WHERE state = 'active' AND id = ANY($1)", cancellationToken,
                idArray, reason, Utc(nextAttemptAt)).ConfigureAwait(false);
            return await ReadLeasesAsync(db, transaction, "WHERE state <> 'revoked' AND id = ANY($1)", cancellationToken, idArray).ConfigureAwait(false);
        }, cancellationToken);

    public Task MarkLeasesRevokedAsync(IReadOnlyList<string> ids, DateTimeOffset at, CancellationToken cancellationToken) =>
        WriteAsync(async (db, transaction) =>
        {
            await ExecuteAsync(db, transaction,
                $"UPDATE {LeasesTable} SET state = 'revoked', revoke_reason = coalesce(revoke_reason, 'expired'), revoked_at = $2, next_attempt_at = NULL WHERE state <> 'revoked' AND id = ANY($1)",
                cancellationToken, (object)ids.ToArray(), Utc(at)).ConfigureAwait(false);
        }, cancellationToken);

    public async Task<IReadOnlySet<string>> ListLeaseRolesAsync(string secret, CancellationToken cancellationToken) =>
        (await ReadAsync(db => ReadLeasesAsync(db, null, "WHERE secret = $1 AND state <> 'revoked'", cancellationToken, secret), cancellationToken).ConfigureAwait(false))
            .Select(l => l.Role).ToHashSet(StringComparer.Ordinal);

    private static PgRotateException LeaseNotFound(string id) => new(ErrorCode.NotFound, $"unknown lease {id}; 'pgrotate lease list' shows them");

    /// <summary>
    /// Reads a lease under a row lock, decides the change (a SET clause with its values from $2 on, or nothing) and
    /// applies it in the same transaction; returns the lease as stored afterwards.
    /// </summary>
    private Task<Lease> UpdateLeaseAsync(string id, Func<Lease, (string? Set, object?[] Values)> change, CancellationToken cancellationToken) =>
        WriteAsync(async (db, transaction) =>
        {
            var lease = (await ReadLeasesAsync(db, transaction, "WHERE id = $1 FOR UPDATE", cancellationToken, id).ConfigureAwait(false)).SingleOrDefault()
                ?? throw LeaseNotFound(id);
            var (set, values) = change(lease);
            if (set is null)
            {
                return lease;
            }

            await ExecuteAsync(db, transaction, $"UPDATE {LeasesTable} SET {set} WHERE id = $1", cancellationToken, [id, .. values]).ConfigureAwait(false);
            return (await ReadLeasesAsync(db, transaction, "WHERE id = $1", cancellationToken, id).ConfigureAwait(false)).Single();
        }, cancellationToken);

    /// <summary>Reads lease rows and authenticates each before it is returned: an edited row is refused, not believed.</summary>
    private async Task<IReadOnlyList<Lease>> ReadLeasesAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string where, CancellationToken cancellationToken, params object?[] values)
    {
        var leases = new List<Lease>();
        var command = Command(db, transaction, $"SELECT {LeaseColumns} FROM {LeasesTable} {where}", values);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var lease = new Lease(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6), LeaseStateNames.Parse(reader.GetString(7)),
                reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12));
            leases.Add(_values.OpenLeaseRow(lease, reader.IsDBNull(13) ? null : (byte[])reader.GetValue(13)));
        }

        return leases;
    }
}
