using Npgsql;
using PgRotate.Errors;
using PgRotate.Scheduling;
using PgRotate.Secrets;

namespace PgRotate.Store.Postgres;

public sealed partial class PostgresSecretStore
{
    private const string SecretColumns =
        "name, target, strategy, group_role, login_a, login_b, schedule, grace_ms, check_sql, adoption, created_at, next_rotation_at, mac";

    /// <summary>
    /// Records a new secret with its first credential as pending, before any role is touched: a crash after this
    /// point resumes with the same password instead of generating another.
    /// </summary>
    public Task AddSecretAsync(Secret secret, SecretVersion first, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await InsertSecretRowAsync(db, transaction, secret, cancellationToken).ConfigureAwait(false);
        await InsertVersionAsync(db, transaction, first, cancellationToken).ConfigureAwait(false);
        await AppendHistoryAsync(db, transaction, secret.Name, first.Number, "created", $"{secret.Strategy.WireName()} on target {secret.Target}", cancellationToken).ConfigureAwait(false);
        await PostgresStoreChanges.NotifyAsync(db, transaction, Connection.Schema, secret.Name, cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>The secret's row with its MAC (every strategy's secret is stored this way); a taken name is <c>AlreadyExists</c>.</summary>
    private async Task InsertSecretRowAsync(NpgsqlConnection db, NpgsqlTransaction transaction, Secret secret, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(db, transaction,
                $"INSERT INTO {_tables.Secrets}({SecretColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                cancellationToken,
                secret.Name, secret.Target, secret.Strategy.WireName(), secret.Group.Value, secret.LoginA.Value, secret.LoginB?.Value,
                secret.Schedule?.Text, (long?)secret.Grace?.TotalMilliseconds, secret.CheckSql, AdoptionNames.WireName(secret.Adoption),
                Utc(secret.CreatedAt), Utc(secret.NextRotationAt),
                _values.SecretMac(secret.Name, secret.Target, secret.Strategy.WireName(), secret.Group.Value, secret.LoginA.Value, secret.LoginB?.Value)).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"secret {secret.Name} already exists", e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw TargetNotFound(secret.Target);
        }
    }

    /// <summary>Removes a secret whose setup failed before any role was changed, so a bad run leaves nothing behind.</summary>
    public Task DeleteSecretAsync(string name, CancellationToken cancellationToken) =>
        WriteAsync((db, transaction) => DeleteSecretRowsAsync(db, transaction, name, cancellationToken), cancellationToken);

    /// <summary><c>secret remove</c>: forgets a secret, its versions (passwords) and its history.</summary>
    public Task RemoveSecretAsync(string name, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        if (await DeleteSecretRowsAsync(db, transaction, name, cancellationToken).ConfigureAwait(false) == 0)
        {
            throw SecretNotFound(name);
        }
    }, cancellationToken);

    /// <summary>Deletes a secret's rows, its own row first (which waits for a rotation's row lock); returns how many secret rows went.</summary>
    private async Task<int> DeleteSecretRowsAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        if (!await LockSecretAsync(db, transaction, name, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.Versions} WHERE owner = 'secret' AND secret = $1", cancellationToken, name).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.History} WHERE owner = 'secret' AND secret = $1", cancellationToken, name).ConfigureAwait(false);
        await PostgresStoreChanges.NotifyAsync(db, transaction, Connection.Schema, name, cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.Secrets} WHERE name = $1", cancellationToken, name).ConfigureAwait(false);
    }

    public async Task<Secret?> FindSecretAsync(string name, CancellationToken cancellationToken) =>
        (await ReadAsync(db => QuerySecretsAsync(db, null, "WHERE name = $1", cancellationToken, name), cancellationToken).ConfigureAwait(false)).SingleOrDefault();

    public async Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken) =>
        await FindSecretAsync(name, cancellationToken).ConfigureAwait(false) ?? throw SecretNotFound(name);

    public Task<IReadOnlyList<Secret>> ListSecretsAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => QuerySecretsAsync(db, null, "ORDER BY name", cancellationToken), cancellationToken);

    public Task SetAdoptionAsync(string name, Adoption adoption, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        await ExecuteAsync(db, transaction, $"UPDATE {_tables.Secrets} SET adoption = $2 WHERE name = $1", cancellationToken, name, AdoptionNames.WireName(adoption)).ConfigureAwait(false);
        await AppendHistoryAsync(db, transaction, name, null, "adoption", AdoptionNames.WireName(adoption), cancellationToken).ConfigureAwait(false);
    }, cancellationToken);

    /// <summary>
    /// <c>secret update</c>: the settings that decide when and how long, never which roles or where, with
    /// <paramref name="detail"/> (no secret value) recorded in the history, in one transaction.
    /// </summary>
    public Task UpdateSecretSettingsAsync(string name, Schedule? schedule, TimeSpan? grace, string? checkSql, DateTimeOffset? nextRotationAt, string detail, CancellationToken cancellationToken) =>
        WriteAsync(async (db, transaction) =>
        {
            var changed = await ExecuteAsync(db, transaction,
                $"UPDATE {_tables.Secrets} SET schedule = $2, grace_ms = $3, check_sql = $4, next_rotation_at = $5 WHERE name = $1", cancellationToken,
                name, schedule?.Text, (long?)grace?.TotalMilliseconds, checkSql, Utc(nextRotationAt)).ConfigureAwait(false);
            if (changed == 0)
            {
                throw SecretNotFound(name);
            }

            await AppendHistoryAsync(db, transaction, name, null, "updated", detail, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    private static PgRotateException SecretNotFound(string name) =>
        new(ErrorCode.NotFound, $"unknown secret {name}; 'pgrotate secret list' shows the registered ones");

    private async Task<IReadOnlyList<Secret>> QuerySecretsAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string where, CancellationToken cancellationToken, params object?[] values)
    {
        var command = Command(db, transaction, $"SELECT {SecretColumns} FROM {_tables.Secrets} {where}", values);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        return await ReadSecretsAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads rows of <see cref="SecretColumns"/>, each authenticated before anything is parsed or used.</summary>
    private async Task<IReadOnlyList<Secret>> ReadSecretsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var secrets = new List<Secret>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            secrets.Add(_values.OpenSecretRow(new StoredSecretRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.GetString(9),
                reader.GetFieldValue<DateTimeOffset>(10), reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<byte[]>(12))));
        }

        return secrets;
    }
}
