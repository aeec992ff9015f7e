using System.Text.Json;
using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Leases;
using PgRotate.Secrets;

namespace PgRotate.Store.Sqlite;

/// <summary>Dynamic secrets' lease settings and their leases, each row authenticated, each password sealed to its lease.</summary>
public sealed partial class SqliteSecretStore : ILeaseStore
{
    private const string LeaseColumns =
        "id, secret, role, issued_at, expires_at, max_expires_at, issued_by, state, revoke_reason, revoke_attempts, last_error, next_attempt_at, revoked_at, mac";

    /// <summary>A condition on the lease ids in <c>$ids</c>, a JSON array: one parameter for a batch of any size.</summary>
    private const string IdIn = "id IN (SELECT value FROM json_each($ids))";

    public ILeaseStore Leases => this;

    public async Task AddDynamicSecretAsync(Secret secret, LeaseSettings settings, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        await InsertSecretRowAsync(connection, transaction, secret, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            // REPLACE: a row a removed secret of the same name left behind (the table has no foreign key) gives way.
            "INSERT OR REPLACE INTO lease_settings(secret, default_ttl_ms, max_ttl_ms, name_template, mac) VALUES ($s, $d, $m, $t, $mac)", cancellationToken,
            ("$s", secret.Name), ("$d", (long)settings.DefaultTtl.TotalMilliseconds), ("$m", (long)settings.MaxTtl.TotalMilliseconds),
            ("$t", settings.NameTemplate), ("$mac", _values.LeaseSettingsMac(settings))).ConfigureAwait(false);
        await AppendHistoryAsync(connection, transaction, secret.Name, null, "created", $"{secret.Strategy.WireName()} on target {secret.Target}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<LeaseSettings> GetLeaseSettingsAsync(string secret, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = CreateCommand(connection, null, "SELECT default_ttl_ms, max_ttl_ms, name_template, mac FROM lease_settings WHERE secret = $s", [("$s", secret)]);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        return await _values.ReadLeaseSettingsAsync(reader, secret, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddLeaseAsync(Lease lease, SecretText password, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        // No fsync for a new lease (it survives a crash of this process, not a power cut): a lease lost that way leaves a
        // role no lease names, which the orphan sweep drops. Issuing is the hot path, and one writer serialises commits.
        await ExecuteAsync(connection, null, "PRAGMA synchronous = NORMAL", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, null,
                $"INSERT INTO leases({LeaseColumns}, password) VALUES ($id, $s, $r, $i, $e, $max, $by, $state, NULL, 0, NULL, NULL, NULL, $mac, $p)", cancellationToken,
                ("$id", lease.Id), ("$s", lease.Secret), ("$r", lease.Role), ("$i", Format(lease.IssuedAt)), ("$e", Format(lease.ExpiresAt)),
                ("$max", Format(lease.MaxExpiresAt)), ("$by", lease.IssuedBy), ("$state", lease.State.WireName()), ("$mac", _values.LeaseMac(lease)),
                ("$p", _values.SealLeasePassword(lease.Id, lease.Secret, lease.Role, password))).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a lease with id {lease.Id} or role {lease.Role} already exists", e);
        }
    }

    public async Task<Lease> GetLeaseAsync(string id, CancellationToken cancellationToken) =>
        (await ReadLeasesAsync(null, null, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false)).SingleOrDefault() ?? throw LeaseNotFound(id);

    public async Task<SecretText> OpenLeasePasswordAsync(string id, CancellationToken cancellationToken)
    {
        var lease = await GetLeaseAsync(id, cancellationToken).ConfigureAwait(false);
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var command = CreateCommand(connection, null, "SELECT password FROM leases WHERE id = $id", [("$id", id)]);
        await using var closeCommand = command.ConfigureAwait(false);
        var sealedValue = (byte[])(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return _values.OpenLeasePassword(sealedValue, lease.Id, lease.Secret, lease.Role);
    }

    public Task<IReadOnlyList<Lease>> ListLeasesAsync(LeaseFilter filter, CancellationToken cancellationToken) =>
        ReadLeasesAsync(null, null,
            "WHERE ($s IS NULL OR secret = $s) AND ($by IS NULL OR issued_by = $by) AND ($all OR state <> 'revoked') ORDER BY issued_at, id", cancellationToken,
            ("$s", filter.Secret), ("$by", filter.IssuedBy), ("$all", filter.IncludeRevoked));

    public Task<IReadOnlyList<Lease>> ListDueLeasesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ReadLeasesAsync(null, null,
            """
            WHERE id IN (SELECT id FROM leases WHERE state = 'active' AND expires_at <= $now
                         UNION ALL SELECT id FROM leases WHERE state = 'revoking' AND next_attempt_at <= $now)
            ORDER BY coalesce(next_attempt_at, expires_at) LIMIT $limit
            """, cancellationToken, ("$now", Format(now)), ("$limit", limit));

    public async Task<DateTimeOffset?> NextLeaseDueAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var next = await ScalarAsync<string>(connection, null,
            "SELECT min(due) FROM (SELECT min(expires_at) AS due FROM leases WHERE state = 'active' UNION ALL SELECT min(next_attempt_at) FROM leases WHERE state = 'revoking')",
            cancellationToken).ConfigureAwait(false);
        return next is null ? null : ParseTime(next);
    }

    public Task<Lease> RenewLeaseAsync(string id, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Active
                ? ("expires_at = $a", Format(expiresAt), null)
                : throw new PgRotateException(ErrorCode.IncompatibleState, $"lease {id} has ended ({lease.RevokeReason}); it cannot be renewed"),
            cancellationToken);

    public Task<Lease> MarkLeaseRevokingAsync(string id, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Active
                ? ("state = 'revoking', revoke_reason = $a, next_attempt_at = $b", reason, Format(nextAttemptAt))
                : default,
            cancellationToken);

    public Task<Lease> RecordRevocationFailureAsync(string id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Revoked
                ? default
                : ("state = 'revoking', revoke_reason = coalesce(revoke_reason, 'expired'), revoke_attempts = revoke_attempts + 1, last_error = $a, next_attempt_at = $b", error, Format(nextAttemptAt)),
            cancellationToken);

    public Task<Lease> MarkLeaseRevokedAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        UpdateLeaseAsync(id, lease => lease.State == LeaseState.Revoked
                ? default
                : ("state = 'revoked', revoke_reason = coalesce(revoke_reason, 'expired'), revoked_at = $a, next_attempt_at = NULL", Format(at), null),
            cancellationToken);

    public async Task<IReadOnlyList<Lease>> MarkLeasesRevokingAsync(IReadOnlyList<string> ids, string reason, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var idList = JsonSerializer.Serialize(ids);
        await ExecuteAsync(connection, transaction,
            $"UPDATE leases SET state = 'revoking', revoke_reason = $a, next_attempt_at = $b WHERE state = 'active' AND {IdIn}", cancellationToken,
            ("$ids", idList), ("$a", reason), ("$b", Format(nextAttemptAt))).ConfigureAwait(false);
        var ending = await ReadLeasesAsync(connection, transaction, $"WHERE state <> 'revoked' AND {IdIn}", cancellationToken, ("$ids", idList)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ending;
    }

    public async Task MarkLeasesRevokedAsync(IReadOnlyList<string> ids, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        await ExecuteAsync(connection, null,
            $"UPDATE leases SET state = 'revoked', revoke_reason = coalesce(revoke_reason, 'expired'), revoked_at = $a, next_attempt_at = NULL WHERE state <> 'revoked' AND {IdIn}",
            cancellationToken, ("$ids", JsonSerializer.Serialize(ids)), ("$a", Format(at))).ConfigureAwait(false);
    }

    public async Task<IReadOnlySet<string>> ListLeaseRolesAsync(string secret, CancellationToken cancellationToken) =>
        (await ReadLeasesAsync(null, null, "WHERE secret = $s AND state <> 'revoked'", cancellationToken, ("$s", secret)).ConfigureAwait(false))
            .Select(l => l.Role).ToHashSet(StringComparer.Ordinal);

    private static PgRotateException LeaseNotFound(string id) => new(ErrorCode.NotFound, $"unknown lease {id}; 'pgrotate lease list' shows them");

    /// <summary>
    /// Reads a lease, decides the change (a SET clause with its values $a and $b, or nothing) and applies it, in one
    /// write transaction; returns the lease as stored afterwards.
    /// </summary>
    private async Task<Lease> UpdateLeaseAsync(string id, Func<Lease, (string? Set, object? A, object? B)> change, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var lease = (await ReadLeasesAsync(connection, transaction, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false)).SingleOrDefault()
            ?? throw LeaseNotFound(id);
        var (set, a, b) = change(lease);
        if (set is null)
        {
            return lease;
        }

        await ExecuteAsync(connection, transaction, $"UPDATE leases SET {set} WHERE id = $id", cancellationToken, ("$id", id), ("$a", a), ("$b", b)).ConfigureAwait(false);
        var updated = (await ReadLeasesAsync(connection, transaction, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false)).Single();
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return updated;
    }

    /// <summary>Reads lease rows and authenticates each before it is returned: an edited row is refused, not believed.</summary>
    private async Task<IReadOnlyList<Lease>> ReadLeasesAsync(SqliteConnection? connection, SqliteTransaction? transaction, string where, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        SqliteConnection? opened = null;
        if (connection is null)
        {
            opened = connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var leases = new List<Lease>();
            var command = CreateCommand(connection, transaction, $"SELECT {LeaseColumns} FROM leases {where}", parameters);
            await using var closeCommand = command.ConfigureAwait(false);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var lease = new Lease(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)), ParseTime(reader.GetString(4)),
                    ParseTime(reader.GetString(5)), reader.IsDBNull(6) ? null : reader.GetString(6), LeaseStateNames.Parse(reader.GetString(7)),
                    reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetString(10),
                    ParseTimeOrNull(reader.GetValue(11)), ParseTimeOrNull(reader.GetValue(12)));
                leases.Add(_values.OpenLeaseRow(lease, reader.IsDBNull(13) ? null : (byte[])reader.GetValue(13)));
            }

            return leases;
        }
        finally
        {
            if (opened is not null)
            {
                await opened.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
