using System.Data;
using Npgsql;
using PgRotate.Errors;
using PgRotate.Secrets;

namespace PgRotate.Store.Postgres;

/// <summary>
/// A target's admin password, versioned in the versions table under owner <c>target</c> (see <see cref="VersionOwner"/>),
/// so <c>target rotate-admin</c> stores, promotes and resumes it like a secret's rotation. The password in force stays
/// in <c>targets.password</c>, which every connection to the target reads; promoting an admin version writes it there
/// in the same transaction. Each change locks the target's row, as a secret's change locks the secret's.
/// </summary>
public sealed partial class PostgresSecretStore
{
    public Task<AdminRotationState> LoadAdminRotationStateAsync(string target, CancellationToken cancellationToken) => ReadAsync(async db =>
    {
        var transaction = await db.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var found = (await QueryTargetsAsync(db, transaction, "WHERE name = $1", cancellationToken, target).ConfigureAwait(false)).SingleOrDefault()
            ?? throw TargetNotFound(target);
        var pending = (await QueryVersionsAsync(db, transaction, VersionOwner.Target, "AND secret = $1 AND stage = 'pending'", cancellationToken, target).ConfigureAwait(false))
            .SingleOrDefault();
        var highest = await ScalarAsync<int>(db, transaction, $"SELECT coalesce(max(version), 0) FROM {_tables.Versions} WHERE owner = 'target' AND secret = $1", cancellationToken,
            target).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        // Decrypted now, before anything connects: this also authenticates the admin user the version was made for.
        _ = pending?.Password.Length;
        return new AdminRotationState(found, pending, highest);
    }, cancellationToken);

    public Task AddPendingAdminVersionAsync(SecretVersion version, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        if (!await LockTargetAsync(db, transaction, version.Secret, cancellationToken).ConfigureAwait(false))
        {
            throw TargetNotFound(version.Secret);
        }

        try
        {
            await InsertVersionAsync(db, transaction, VersionOwner.Target, version, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.RotationInProgress, $"target {version.Secret} already has a pending admin password", e);
        }

        await AppendHistoryAsync(db, transaction, VersionOwner.Target, version.Secret, version.Number, "pending", $"login {version.Username}", cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    public Task MarkAdminVersionFailedAsync(string target, int version, string reason, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await LockTargetAsync(db, transaction, target, cancellationToken).ConfigureAwait(false);
        var changed = await ExecuteAsync(db, transaction, $"UPDATE {_tables.Versions} SET stage = 'failed' WHERE owner = 'target' AND secret = $1 AND version = $2 AND stage = 'pending'",
            cancellationToken, target, version).ConfigureAwait(false);
        if (changed > 0)
        {
            await AppendHistoryAsync(db, transaction, VersionOwner.Target, target, version, "failed", reason, cancellationToken).ConfigureAwait(false);
        }
    }, cancellationToken);

    public Task<IReadOnlyList<SecretVersion>> ListAdminVersionsAsync(string target, CancellationToken cancellationToken) =>
        ReadAsync(db => QueryVersionsAsync(db, null, VersionOwner.Target, "AND secret = $1 ORDER BY version", cancellationToken, target), cancellationToken);

    public Task<IReadOnlyList<HistoryEntry>> ListAdminHistoryAsync(string target, CancellationToken cancellationToken) =>
        ListHistoryAsync(VersionOwner.Target, target, null, null, cancellationToken);

    /// <summary>Locks a target's row until the transaction ends; false when there is no such target.</summary>
    private async Task<bool> LockTargetAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string target, CancellationToken cancellationToken) =>
        await ScalarAsync<int?>(db, transaction, $"SELECT 1 FROM {_tables.Targets} WHERE name = $1 FOR UPDATE", cancellationToken, target).ConfigureAwait(false) is not null;

    /// <summary>
    /// <c>target update</c> with a new password: the operator has just said which password works, so a pending admin
    /// version is marked failed and the current one retired (the password in force is no longer a generated one).
    /// </summary>
    private async Task SupersedeAdminVersionsAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string target, CancellationToken cancellationToken)
    {
        var pending = await ScalarAsync<int?>(db, transaction, $"SELECT version FROM {_tables.Versions} WHERE owner = 'target' AND secret = $1 AND stage = 'pending'", cancellationToken,
            target).ConfigureAwait(false);
        await ExecuteAsync(db, transaction,
            $"UPDATE {_tables.Versions} SET stage = CASE stage WHEN 'pending' THEN 'failed' ELSE 'retired' END WHERE owner = 'target' AND secret = $1 AND stage IN ('pending', 'current')",
            cancellationToken, target).ConfigureAwait(false);
        if (pending is { } number)
        {
            await AppendHistoryAsync(db, transaction, VersionOwner.Target, target, number, "failed", "the admin password was replaced by 'pgrotate target update'", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves a pending admin password that an interrupted <c>target rotate-admin</c> left in <c>targets.pending_password</c>
    /// (where schema 1 kept it) into the versions table as a pending admin version, which the next <c>rotate-admin</c>
    /// resumes. A migration has no key to re-seal it, so this runs in the transaction that applies the migrations, after
    /// the key check.
    /// </summary>
    private async Task MoveLegacyPendingAdminPasswordsAsync(NpgsqlConnection db, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var legacy = new List<(string Name, string Username, byte[] Sealed)>();
        var command = Command(db, transaction, $"SELECT name, username, pending_password FROM {_tables.Targets} WHERE pending_password IS NOT NULL FOR UPDATE");
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                legacy.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2)));
            }
        }

        foreach (var (name, username, sealedValue) in legacy)
        {
            var password = _values.OpenLegacyPendingAdminPassword(sealedValue, name);
            var hasPending = await ScalarAsync<int?>(db, transaction, $"SELECT 1 FROM {_tables.Versions} WHERE owner = 'target' AND secret = $1 AND stage = 'pending'", cancellationToken,
                name).ConfigureAwait(false) is not null;
            if (!hasPending)
            {
                var number = await ScalarAsync<int>(db, transaction, $"SELECT coalesce(max(version), 0) + 1 FROM {_tables.Versions} WHERE owner = 'target' AND secret = $1", cancellationToken,
                    name).ConfigureAwait(false);
                var version = new SecretVersion(name, number, username, password, Stage.Pending, Now(), null, null);
                await InsertVersionAsync(db, transaction, VersionOwner.Target, version, cancellationToken).ConfigureAwait(false);
                await AppendHistoryAsync(db, transaction, VersionOwner.Target, name, number, "pending", $"login {username}", cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(db, transaction, $"UPDATE {_tables.Targets} SET pending_password = NULL WHERE name = $1", cancellationToken, name).ConfigureAwait(false);
        }
    }
}
