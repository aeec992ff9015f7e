using Microsoft.Data.Sqlite;
using PgRotate.Errors;
using PgRotate.Secrets;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

public sealed partial class SqliteSecretStore
{
    private const string SecretColumns =
        "name, target, strategy, group_role, login_a, login_b, schedule, grace_ms, check_sql, adoption, created_at, next_rotation_at";

    /// <summary>
    /// Records a new secret with its first credential as <see cref="Stage.Pending"/>, before any role is touched: a
    /// crash after this point resumes with the same password instead of generating another.
    /// </summary>
    public async Task AddSecretAsync(Secret secret, SecretVersion first, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        await InsertSecretRowAsync(connection, transaction, secret, cancellationToken).ConfigureAwait(false);
        await InsertVersionAsync(connection, transaction, first, cancellationToken).ConfigureAwait(false);
        await AppendHistoryAsync(connection, transaction, secret.Name, first.Number, "created", $"{secret.Strategy.WireName()} on target {secret.Target}", cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The secret's row with its MAC (every strategy's secret is stored this way); a taken name is <c>AlreadyExists</c>.</summary>
    private async Task InsertSecretRowAsync(SqliteConnection connection, SqliteTransaction transaction, Secret secret, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, transaction,
                $"INSERT INTO secrets({SecretColumns}, mac) VALUES ($name, $target, $strategy, $group, $a, $b, $schedule, $grace, $check, $adoption, $created, $next, $mac)",
                cancellationToken,
                ("$name", secret.Name), ("$target", secret.Target), ("$strategy", secret.Strategy.WireName()),
                ("$group", secret.Group.Value), ("$a", secret.LoginA.Value), ("$b", secret.LoginB?.Value),
                ("$schedule", secret.Schedule?.Text), ("$grace", (long?)secret.Grace?.TotalMilliseconds), ("$check", secret.CheckSql),
                ("$adoption", AdoptionNames.WireName(secret.Adoption)), ("$created", Format(secret.CreatedAt)),
                ("$next", secret.NextRotationAt is { } next ? Format(next) : null),
                ("$mac", _values.SecretMac(secret.Name, secret.Target, secret.Strategy.WireName(), secret.Group.Value, secret.LoginA.Value, secret.LoginB?.Value))).ConfigureAwait(false);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"secret {secret.Name} already exists", e);
        }
    }

    /// <summary>Removes a secret whose setup failed before any role was changed, so a bad run leaves nothing behind.</summary>
    public async Task DeleteSecretAsync(string name, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        await DeleteSecretRowsAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>secret remove</c>: forgets a secret, its versions (passwords) and its history.</summary>
    public async Task RemoveSecretAsync(string name, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        if (await DeleteSecretRowsAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw new PgRotateException(ErrorCode.NotFound, $"unknown secret {name}; 'pgrotate secret list' shows the registered ones");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a secret's rows; returns how many secret rows went (0 or 1).</summary>
    private async Task<int> DeleteSecretRowsAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, "DELETE FROM versions WHERE owner = 'secret' AND secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM history WHERE owner = 'secret' AND secret = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
        return await ExecuteAsync(connection, transaction, "DELETE FROM secrets WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false);
    }

    public async Task<Secret?> FindSecretAsync(string name, CancellationToken cancellationToken) =>
        (await QuerySecretsAsync("WHERE name = $n", cancellationToken, ("$n", name)).ConfigureAwait(false)).SingleOrDefault();

    public async Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        await FindSecretAsync(name, cancellationToken).ConfigureAwait(false) ?? throw SecretNotFound(name);

    private static PgRotateException SecretNotFound(string name) =>
        new(ErrorCode.NotFound, $"unknown secret {name}; 'pgrotate secret list' shows the registered ones");

    public Task<IReadOnlyList<Secret>> ListSecretsAsync(CancellationToken cancellationToken) =>
        QuerySecretsAsync("ORDER BY name", cancellationToken);

    public async Task SetAdoptionAsync(string name, Adoption adoption, CancellationToken cancellationToken)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        var transaction = BeginWriteTransaction(connection);
        await using var closeTransaction = transaction.ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "UPDATE secrets SET adoption = $a WHERE name = $n", cancellationToken, ("$n", name), ("$a", AdoptionNames.WireName(adoption))).ConfigureAwait(false);
        await AppendHistoryAsync(connection, transaction, name, null, "adoption", AdoptionNames.WireName(adoption), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Secret>> QuerySecretsAsync(string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeConnection = connection.ConfigureAwait(false);
        return await QuerySecretsAsync(connection, null, where, cancellationToken, parameters).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<Secret>> QuerySecretsAsync(SqliteConnection connection, SqliteTransaction? transaction, string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var command = CreateCommand(connection, transaction, $"SELECT {SecretColumns}, mac FROM secrets {where}", parameters);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        var secrets = new List<Secret>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(_values.OpenSecretRow(new StoredSecretRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetString(9),
                ParseTime(reader.GetString(10)), reader.IsDBNull(11) ? null : ParseTime(reader.GetString(11)),
                reader.IsDBNull(12) ? null : (byte[])reader.GetValue(12))));
        }

        return secrets;
    }
}
