using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Targets;

namespace PgRotate.Store.Postgres;

public sealed partial class PostgresSecretStore
{
    public Task AddTargetAsync(Target target, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        try
        {
            await ExecuteAsync(db, transaction,
                $"INSERT INTO {_tables.Targets}(name, connection_string, username, password, mac, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                cancellationToken, target.Name, target.ConnectionString, target.Username, _values.SealTargetPassword(target.Name, target.Password),
                _values.TargetMac(target.Name, target.ConnectionString, target.Username), Now()).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"target {target.Name} already exists", e);
        }
    }, cancellationToken);

    /// <summary>
    /// <c>target update</c>: a new connection string, admin user and/or password, with the row's MAC recomputed. A new
    /// password also marks failed a pending admin version left by an interrupted <c>target rotate-admin</c>.
    /// </summary>
    public Task UpdateTargetAsync(Target target, bool newPassword, CancellationToken cancellationToken) => WriteAsync(async (db, transaction) =>
    {
        var changed = await ExecuteAsync(db, transaction,
            $"UPDATE {_tables.Targets} SET connection_string = $2, username = $3, password = $4, mac = $5, updated_at = $6 WHERE name = $1",
            cancellationToken, target.Name, target.ConnectionString, target.Username, _values.SealTargetPassword(target.Name, target.Password),
            _values.TargetMac(target.Name, target.ConnectionString, target.Username), Now()).ConfigureAwait(false);
        if (changed == 0)
        {
            throw TargetNotFound(target.Name);
        }

        if (newPassword)
        {
            await SupersedeAdminVersionsAsync(db, transaction, target.Name, cancellationToken).ConfigureAwait(false);
        }
    }, cancellationToken);

    /// <summary>
    /// <c>target remove</c>: forgets a target, and with <paramref name="withSecrets"/> its secrets, in one transaction;
    /// without it, a target still in use is refused, naming the secrets.
    /// </summary>
    public Task<IReadOnlyList<string>> RemoveTargetAsync(string name, bool withSecrets, CancellationToken cancellationToken) => WriteAsync<IReadOnlyList<string>>(async (db, transaction) =>
    {
        if (await ScalarAsync<int?>(db, transaction, $"SELECT 1 FROM {_tables.Targets} WHERE name = $1 FOR UPDATE", cancellationToken, name).ConfigureAwait(false) is null)
        {
            throw TargetNotFound(name);
        }

        var secrets = new List<string>();
        var command = Command(db, transaction, $"SELECT name FROM {_tables.Secrets} WHERE target = $1 ORDER BY name FOR UPDATE", name);
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
            await DeleteSecretRowsAsync(db, transaction, secret, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.Versions} WHERE owner = 'target' AND secret = $1", cancellationToken, name).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.History} WHERE owner = 'target' AND secret = $1", cancellationToken, name).ConfigureAwait(false);
        await ExecuteAsync(db, transaction, $"DELETE FROM {_tables.Targets} WHERE name = $1", cancellationToken, name).ConfigureAwait(false);
        return secrets;
    }, cancellationToken);

    public async Task<Target> GetTargetAsync(string name, CancellationToken cancellationToken) =>
        (await ReadAsync(db => QueryTargetsAsync(db, null, "WHERE name = $1", cancellationToken, name), cancellationToken).ConfigureAwait(false)).SingleOrDefault()
        ?? throw TargetNotFound(name);

    public Task<IReadOnlyList<Target>> ListTargetsAsync(CancellationToken cancellationToken) =>
        ReadAsync(db => QueryTargetsAsync(db, null, "ORDER BY name", cancellationToken), cancellationToken);

    private static PgRotateException TargetNotFound(string name) =>
        new(ErrorCode.NotFound, $"unknown target {name}; 'pgrotate target list' shows the registered ones");

    private const string TargetColumns = "name, connection_string, username, password, mac";

    private async Task<IReadOnlyList<Target>> QueryTargetsAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string where, CancellationToken cancellationToken, params object?[] values)
    {
        var command = Command(db, transaction, $"SELECT {TargetColumns} FROM {_tables.Targets} {where}", values);
        await using var closeCommand = command.ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var closeReader = reader.ConfigureAwait(false);
        return await ReadTargetsAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads rows of <see cref="TargetColumns"/>, each authenticated before its password is opened.</summary>
    private async Task<IReadOnlyList<Target>> ReadTargetsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var targets = new List<Target>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (name, connectionString, username) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            _values.VerifyTargetRow(reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4), name, connectionString, username);
            targets.Add(new Target(name, connectionString, username,
                _values.OpenTargetPassword(reader.GetFieldValue<byte[]>(3), name)));
        }

        return targets;
    }
}
