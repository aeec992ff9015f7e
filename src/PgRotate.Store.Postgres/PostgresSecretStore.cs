using System.Data;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Postgres;
using PgRotate.Rotation;

namespace PgRotate.Store.Postgres;

/// <summary>
/// The store in a PostgreSQL database, shared by pgrotate processes on several machines: the same tables, sealed
/// values, row authentication and errors as the SQLite store, all in one schema (default <c>pgrotate</c>). Opening
/// checks that the schema holds a pgrotate store and that the master key is the one it was created with, before any
/// migration runs or anything is decrypted.
/// </summary>
/// <remarks>
/// Where the SQLite store takes the whole file's write lock (BEGIN IMMEDIATE), a transaction here locks the row of the
/// secret it changes (<c>SELECT … FOR UPDATE</c>) and reads the versions after that lock is granted, so two rotators
/// on two machines queue on the row and the second sees what the first committed: a version is promoted once.
/// </remarks>
public sealed partial class PostgresSecretStore : ISecretStore
{
    private readonly NpgsqlDataSource _source;
    private readonly StoredValues _values;
    private readonly TimeProvider _time;
    private readonly StoreTables _tables;
    private readonly AdvisoryRotationLock _locks;

    private PostgresSecretStore(PostgresStoreConnection connection, MasterKey key, TimeProvider time, string? actor)
    {
        Connection = connection;
        Actor = actor;
        Location = "postgresql " + connection.Description;
        KeyId = key.KeyId;
        _source = connection.BuildDataSource(pooling: true);
        _values = new StoredValues(key, Location);
        _time = time;
        _tables = new StoreTables(connection.Schema);
        _locks = new AdvisoryRotationLock(connection, time);
        Locks = _locks;
        Audit = new PostgresAuditLog(this, new PgRotate.Audit.AuditChain(key));
        Changes = new PostgresStoreChanges(connection, time);
    }

    /// <summary>A view acting for <paramref name="actor"/>: shares the pool, lock and key; disposing it closes nothing.</summary>
    private PostgresSecretStore(PostgresSecretStore shared, string? actor)
    {
        Connection = shared.Connection;
        Location = shared.Location;
        KeyId = shared.KeyId;
        _source = shared._source;
        _values = shared._values;
        _time = shared._time;
        _tables = shared._tables;
        _locks = shared._locks;
        Locks = shared.Locks;
        Audit = shared.Audit;
        Changes = shared.Changes;
        Actor = actor;
        _isView = true;
    }

    private readonly bool _isView;

    internal PostgresStoreConnection Connection { get; }

    public ISecretStore WithActor(string? actor) => new PostgresSecretStore(this, actor);

    public PgRotate.Audit.IAuditLog Audit { get; }

    public IStoreChanges Changes { get; }

    /// <summary>Where the store is, for messages: host, port, database and schema, never the password.</summary>
    public string Location { get; }

    public string KeyId { get; }

    /// <summary>The rotation lock shared by every process using this store: advisory locks in the store's database.</summary>
    public IRotationLock Locks { get; }

    /// <summary>Who acts through this store (e.g. <c>cli:alice</c>), recorded with each history entry; null when unknown.</summary>
    public string? Actor { get; }

    /// <summary>
    /// Creates the store's schema and tables and its key check, in one transaction; refuses (AlreadyExists) when the
    /// schema already holds tables. An existing empty schema (made by a DBA for the pgrotate role) is used.
    /// </summary>
    public static async Task<PostgresSecretStore> CreateAsync(PostgresStoreConnection connection, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken)
    {
        var store = new PostgresSecretStore(connection, key, time, actor);
        try
        {
            var db = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeDb = db.ConfigureAwait(false);
            var transaction = await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            await PostgresMigrations.LockAsync(db, transaction, connection.Schema, cancellationToken).ConfigureAwait(false);
            var tables = await ScalarAsync<long>(db, transaction,
                "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                cancellationToken, connection.Schema).ConfigureAwait(false);
            if (tables > 0)
            {
                throw new PgRotateException(ErrorCode.AlreadyExists,
                    $"schema {connection.Schema} already holds tables in {store.Location}; pgrotate init never writes into an existing store (choose another schema with Search Path=…)");
            }

            await ExecuteAsync(db, transaction, $"CREATE SCHEMA IF NOT EXISTS {Sql.Identifier(connection.Schema)}", cancellationToken).ConfigureAwait(false);
            await PostgresMigrations.ApplyAsync(db, transaction, connection.Schema, store.Location, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(db, transaction, $"INSERT INTO {store._tables.Meta}(key, value) VALUES ('key_id', $1), ('key_check', $2)", cancellationToken,
                key.KeyId, store._values.SealKeyCheck()).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw store.Translate(e);
        }

        return store;
    }

    /// <summary>Opens an existing store: it must exist, and the key must be its own, before a migration runs.</summary>
    internal static async Task<PostgresSecretStore> OpenAsync(PostgresStoreConnection connection, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken)
    {
        var store = new PostgresSecretStore(connection, key, time, actor);
        try
        {
            var db = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeDb = db.ConfigureAwait(false);
            await store.CheckKeyAsync(db, cancellationToken).ConfigureAwait(false);
            if (await PostgresMigrations.IsCurrentAsync(db, connection.Schema, cancellationToken).ConfigureAwait(false))
            {
                return store;
            }

            var transaction = await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            await PostgresMigrations.LockAsync(db, transaction, connection.Schema, cancellationToken).ConfigureAwait(false);
            await PostgresMigrations.ApplyAsync(db, transaction, connection.Schema, store.Location, cancellationToken).ConfigureAwait(false);
            await store.MoveLegacyPendingAdminPasswordsAsync(db, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw store.Translate(e);
        }

        return store;
    }

    /// <summary>Proves the store is there and the master key right, reading only the meta table (every schema version has it).</summary>
    private async Task CheckKeyAsync(NpgsqlConnection db, CancellationToken cancellationToken)
    {
        var hasMeta = await ScalarAsync<bool>(db, null, "SELECT to_regclass($1) IS NOT NULL", cancellationToken, _tables.Meta).ConfigureAwait(false);
        if (!hasMeta)
        {
            var hasSchema = await ScalarAsync<bool>(db, null, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", cancellationToken, Connection.Schema).ConfigureAwait(false);
            throw hasSchema
                ? new PgRotateException(ErrorCode.StoreCorrupt, $"{Location} is not a pgrotate store (no key check). Nothing was changed")
                : new PgRotateException(ErrorCode.StoreMissing, $"no store at {Location}; create one with 'pgrotate init' or point --store / PGROTATE_STORE at it");
        }

        string? storedKeyId = null, check = null;
        var command = Command(db, null, $"SELECT key, value FROM {_tables.Meta} WHERE key IN ('key_id', 'key_check')");
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var closeReader = reader.ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.GetString(0) == "key_id")
                {
                    storedKeyId = reader.GetString(1);
                }
                else
                {
                    check = reader.GetString(1);
                }
            }
        }

        if (storedKeyId is null || check is null)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"{Location} is not a pgrotate store (no key check). Nothing was changed");
        }

        // A PostgreSQL store is written with authenticated rows from its first day: a key check in the older form
        // was not written by pgrotate.
        if (_values.CheckKey(storedKeyId, check) != StoredValues.KeyCheck.Current)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"store {Location} is damaged (its key check is not in the form pgrotate writes); restore it from a backup. Nothing was changed");
        }
    }

    private async Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Translate(e);
        }
    }

    /// <summary>A driver or server failure as one line naming the store (never its password), with a stable code.</summary>
    private Exception Translate(Exception exception) => exception switch
    {
        PgRotateException or OperationCanceledException => exception,
        // The generic translation speaks of a target's admin role; here it is the store's own role that lacks it.
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } denied => new PgRotateException(ErrorCode.PermissionDenied,
            $"store {Location}: {PostgresErrors.Scrub(denied.MessageText)}: the store's role needs CONNECT on its database, and for 'pgrotate init' CREATE on it (or an empty schema {Connection.Schema} that it owns)",
            denied),
        _ => PostgresErrors.Translate(exception, $"store {Location}"),
    };

    /// <summary>
    /// A write transaction (READ COMMITTED: each statement sees what others committed before it, which is what the row
    /// locks rely on). Driver failures are reported naming the store.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        var db = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeDb = db.ConfigureAwait(false);
        try
        {
            var transaction = await db.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            var result = await work(db, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception e) when (e is not PgRotateException and not OperationCanceledException)
        {
            throw Translate(e);
        }
    }

    private Task WriteAsync(Func<NpgsqlConnection, NpgsqlTransaction, Task> work, CancellationToken cancellationToken) =>
        WriteAsync<bool>(async (db, transaction) =>
        {
            await work(db, transaction).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>A read on one pooled connection; driver failures are reported naming the store.</summary>
    private async Task<T> ReadAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        var db = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var closeDb = db.ConfigureAwait(false);
        try
        {
            return await work(db).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not PgRotateException and not OperationCanceledException)
        {
            throw Translate(e);
        }
    }

    /// <summary>Locks a secret's row until the transaction ends; false when there is no such secret.</summary>
    private async Task<bool> LockSecretAsync(NpgsqlConnection db, NpgsqlTransaction transaction, string secret, CancellationToken cancellationToken) =>
        await ScalarAsync<int?>(db, transaction, $"SELECT 1 FROM {_tables.Secrets} WHERE name = $1 FOR UPDATE", cancellationToken, secret).ConfigureAwait(false) is not null;

    private DateTimeOffset Now() => _time.GetUtcNow().ToUniversalTime();

    /// <summary>Npgsql writes a timestamptz only from a UTC DateTimeOffset.</summary>
    private static object? Utc(DateTimeOffset? time) => time?.ToUniversalTime();

    private static async Task<int> ExecuteAsync(NpgsqlConnection db, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var command = Command(db, transaction, sql, values);
        await using var closeCommand = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T?> ScalarAsync<T>(NpgsqlConnection db, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        var command = Command(db, transaction, sql, values);
        await using var closeCommand = command.ConfigureAwait(false);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>A command whose values are positional parameters ($1, $2, …); SQL text never holds a value.</summary>
    private static NpgsqlCommand Command(NpgsqlConnection db, NpgsqlTransaction? transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, db, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_isView)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
            await _locks.DisposeAsync().ConfigureAwait(false);
        }
    }
}
