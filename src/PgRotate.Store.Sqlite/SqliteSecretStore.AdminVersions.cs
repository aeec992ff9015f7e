using Microsoft.Data.Sqlite;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// A target's admin password, versioned in the versions table under owner <c>target</c> (see <see cref="VersionOwner"/>),
/// so <c>target rotate-admin</c> stores, promotes and resumes it like a secret's rotation. The password in force stays
/// in <c>targets.password</c>, which every connection to the target reads; promoting an admin version writes it there
/// in the same transaction.
/// </summary>
public sealed partial class SqliteSecretStore
{
    public async Task<AdminRotationState> LoadAdminRotationStateAsync(string target, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        // Deferred: one read snapshot of the file, no write lock.
        var transaction = connection.BeginTransaction(deferred: true);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var found = (await QueryTargetsAsync(connection, transaction, "WHERE name = $n", cancellationToken, ("$n", target)).ConfigureAwait(false)).SingleOrDefault()
            ?? throw TargetNotFound(target);
        var pending = (await QueryVersionsAsync(connection, transaction, VersionOwner.Target, "AND secret = $s AND stage = 'pending'", cancellationToken, ("$s", target)).ConfigureAwait(false))
            .SingleOrDefault();
        // Decrypted now, before anything connects: this also authenticates the admin user the version was made for.
        _ = pending?.Password.Length;
        var highest = await ScalarAsync<long>(connection, transaction, "SELECT coalesce(max(version), 0) FROM versions WHERE owner = 'target' AND secret = $s", cancellationToken,
            ("$s", target)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new AdminRotationState(found, pending, (int)highest);
    }

    public async Task AddPendingAdminVersionAsync(SecretVersion version, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        if (await ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM targets WHERE name = $n", cancellationToken, ("$n", version.Secret)).ConfigureAwait(false) == 0)
        {
            throw TargetNotFound(version.Secret);
        }

        try
        {
            await InsertVersionAsync(connection, transaction, VersionOwner.Target, version, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.RotationInProgress, $"target {version.Secret} already has a pending admin password", e);
        }

        await AppendHistoryAsync(connection, transaction, VersionOwner.Target, version.Secret, version.Number, "pending", $"login {version.Username}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkAdminVersionFailedAsync(string target, int version, string reason, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var changed = await ExecuteAsync(connection, transaction, "UPDATE versions SET stage = 'failed' WHERE owner = 'target' AND secret = $s AND version = $v AND stage = 'pending'",
            cancellationToken, ("$s", target), ("$v", version)).ConfigureAwait(false);
        if (changed > 0)
        {
            await AppendHistoryAsync(connection, transaction, VersionOwner.Target, target, version, "failed", reason, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<SecretVersion>> ListAdminVersionsAsync(string target, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return await QueryVersionsAsync(connection, null, VersionOwner.Target, "AND secret = $s ORDER BY version", cancellationToken, ("$s", target)).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<HistoryEntry>> ListAdminHistoryAsync(string target, CancellationToken cancellationToken) =>
        ListHistoryAsync(VersionOwner.Target, target, null, null, cancellationToken);

    /// <summary>
    /// <c>target update</c> with a new password: the operator has just said which password works, so a pending admin
    /// version is marked failed and the current one retired (the password in force is no longer a generated one).
    /// </summary>
    private async Task SupersedeAdminVersionsAsync(SqliteConnection connection, SqliteTransaction transaction, string target, CancellationToken cancellationToken)
    {
        // Version numbers start at 1, so 0 says there is no pending version.
        var pending = await ScalarAsync<long>(connection, transaction, "SELECT coalesce(max(version), 0) FROM versions WHERE owner = 'target' AND secret = $s AND stage = 'pending'",
            cancellationToken, ("$s", target)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction,
            "UPDATE versions SET stage = CASE stage WHEN 'pending' THEN 'failed' ELSE 'retired' END WHERE owner = 'target' AND secret = $s AND stage IN ('pending', 'current')",
            cancellationToken, ("$s", target)).ConfigureAwait(false);
        if (pending > 0)
        {
            await AppendHistoryAsync(connection, transaction, VersionOwner.Target, target, (int)pending, "failed", "the admin password was replaced by 'pgrotate target update'", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Moves a pending admin password that an interrupted <c>target rotate-admin</c> left in <c>targets.pending_password</c>
    /// (where stores before schema 6 kept it) into the versions table as a pending admin version, which the next
    /// <c>rotate-admin</c> resumes. A migration has no key to re-seal it, so this runs on open, after the key check, in one
    /// transaction; a store without such a password is left untouched.
    /// </summary>
    private async Task MoveLegacyPendingAdminPasswordsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        if (await ScalarAsync<long>(connection, null, "SELECT count(*) FROM targets WHERE pending_password IS NOT NULL", cancellationToken).ConfigureAwait(false) == 0)
        {
            return;
        }

        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var legacy = new List<(string Name, string Username, byte[] Sealed)>();
        var command = CreateCommand(connection, transaction, "SELECT name, username, pending_password FROM targets WHERE pending_password IS NOT NULL", []);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                legacy.Add((reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
            }
        }

        foreach (var (name, username, sealedValue) in legacy)
        {
            var password = _values.OpenLegacyPendingAdminPassword(sealedValue, name);
            var hasPending = await ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM versions WHERE owner = 'target' AND secret = $s AND stage = 'pending'", cancellationToken,
                ("$s", name)).ConfigureAwait(false) > 0;
            if (!hasPending)
            {
                var number = (int)await ScalarAsync<long>(connection, transaction, "SELECT coalesce(max(version), 0) + 1 FROM versions WHERE owner = 'target' AND secret = $s", cancellationToken,
                    ("$s", name)).ConfigureAwait(false);
                var version = new SecretVersion(name, number, username, password, Stage.Pending, _time.GetUtcNow(), null, null);
                await InsertVersionAsync(connection, transaction, VersionOwner.Target, version, cancellationToken).ConfigureAwait(false);
                await AppendHistoryAsync(connection, transaction, VersionOwner.Target, name, number, "pending", $"login {username}", cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction, "UPDATE targets SET pending_password = NULL WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
