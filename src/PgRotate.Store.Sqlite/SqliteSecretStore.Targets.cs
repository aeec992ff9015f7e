using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Targets;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    public async Task AddTargetAsync(Target target, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var sealedPassword = _values.SealTargetPassword(target.Name, target.Password);
        try
        {
            await ExecuteAsync(connection, null,
                "INSERT INTO targets(name, connection_string, username, password, created_at, updated_at, mac) VALUES ($n, $c, $u, $p, $t, $t, $m)",
                cancellationToken, ("$n", target.Name), ("$c", target.ConnectionString), ("$u", target.Username), ("$p", sealedPassword), ("$t", Now()),
                ("$m", _values.TargetMac(target.Name, target.ConnectionString, target.Username))).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"target {target.Name} already exists", e);
        }
    }

    /// <summary>
    /// <c>target update</c>: a new connection string, admin user and/or password for an existing target, with its MAC
    /// recomputed. A new password also marks failed a pending admin version left by an interrupted
    /// <c>target rotate-admin</c>: the operator has just said which password works. Without a new password the pending
    /// one stays, since it may be the one the server has.
    /// </summary>
    public async Task UpdateTargetAsync(Target target, bool newPassword, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        var changed = await ExecuteAsync(connection, transaction,
            "UPDATE targets SET connection_string = $c, username = $u, password = $p, mac = $m, updated_at = $t WHERE name = $n",
            cancellationToken, ("$n", target.Name), ("$c", target.ConnectionString), ("$u", target.Username),
            ("$p", _values.SealTargetPassword(target.Name, target.Password)), ("$t", Now()),
            ("$m", _values.TargetMac(target.Name, target.ConnectionString, target.Username))).ConfigureAwait(false);
        if (changed == 0)
        {
            throw TargetNotFound(target.Name);
        }

        if (newPassword)
        {
            await SupersedeAdminVersionsAsync(connection, transaction, target.Name, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>target remove</c>: forgets a target, and with <paramref name="withSecrets"/> the secrets registered on it
    /// (their versions and history too) and its own admin versions and history, in one transaction. Without it, a target still in use is refused, naming the
    /// secrets. Returns the names of the secrets removed. Nothing on the server changes.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveTargetAsync(string name, bool withSecrets, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        if (await ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM targets WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false) == 0)
        {
            throw TargetNotFound(name);
        }

        var secrets = new List<string>();
        var command = CreateCommand(connection, transaction, "SELECT name FROM secrets WHERE target = $n ORDER BY name", [("$n", name)]);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                secrets.Add(reader.GetString(0));
            }
        }

        if (secrets.Count > 0 && !withSecrets)
        {
            throw StoredValues.TargetInUse(name, secrets);
        }

        foreach (var secret in secrets)
        {
            await DeleteSecretRowsAsync(connection, transaction, secret, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction, "DELETE FROM versions WHERE owner = 'target' AND secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM history WHERE owner = 'target' AND secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM targets WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return secrets;
    }

    public async Task<Target> GetTargetAsync(string name, CancellationToken cancellationToken) =>
        (await QueryTargetsAsync("WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false)).SingleOrDefault()
        ?? throw TargetNotFound(name);

    public Task<IReadOnlyList<Target>> ListTargetsAsync(CancellationToken cancellationToken) =>
        QueryTargetsAsync("ORDER BY name", cancellationToken);

    private static PgRotateException TargetNotFound(string name) =>
        new(ErrorCode.NotFound, $"unknown target {name}; 'pgrotate target list' shows the registered ones");

    private async Task<IReadOnlyList<Target>> QueryTargetsAsync(string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return await QueryTargetsAsync(connection, null, where, cancellationToken, parameters).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Target>> QueryTargetsAsync(SqliteConnection connection, SqliteTransaction? transaction, string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var command = CreateCommand(connection, transaction, $"SELECT name, connection_string, username, password, mac FROM targets {where}", parameters);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var targets = new List<Target>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            var connectionString = reader.GetString(1);
            var username = reader.GetString(2);
            _values.VerifyTargetRow(reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4), name, connectionString, username);
            targets.Add(new Target(name, connectionString, username,
                _values.OpenTargetPassword((byte[])reader.GetValue(3), name)));
        }

        return targets;
    }
}
