using System.Globalization;
using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Local;
using PgRotate.Rotation;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file holding targets, secrets, versions and history. Every password is sealed with
/// <see cref="Envelope"/> under the master key, bound to its row. Opening checks the file is a pgrotate store, intact,
/// and that the master key is the one it was created with, before anything is read or written.
/// </summary>
public sealed partial class SqliteSecretStore : ISecretStore
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    private readonly string _connectionString;
    private readonly StoredValues _values;
    private readonly TimeProvider _time;

    private SqliteSecretStore(string path, MasterKey key, TimeProvider time, string? actor)
    {
        Path = path;
        Actor = actor;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _values = new StoredValues(key, path);
        KeyId = key.KeyId;
        _time = time;
        Locks = new FileRotationLock(path + ".locks", time);
        Audit = new SqliteAuditLog(this, new PgRotate.Audit.AuditChain(key));
        Changes = new SqliteStoreChanges(_connectionString, time);
    }

    /// <summary>A view acting for <paramref name="actor"/>: every field is shared, nothing is opened.</summary>
    private SqliteSecretStore(SqliteSecretStore shared, string? actor)
    {
        Path = shared.Path;
        _connectionString = shared._connectionString;
        _values = shared._values;
        KeyId = shared.KeyId;
        _time = shared._time;
        Locks = shared.Locks;
        Audit = shared.Audit;
        Changes = shared.Changes;
        Actor = actor;
    }

    internal string Path { get; }

    public ISecretStore WithActor(string? actor) => new SqliteSecretStore(this, actor);

    public PgRotate.Audit.IAuditLog Audit { get; }

    public IStoreChanges Changes { get; }

    public string Location => Path;

    public string KeyId { get; }

    /// <summary>Per-key flock files in the <c>STORE.locks</c> folder beside the file: every process sharing the file shares them.</summary>
    public IRotationLock Locks { get; }

    /// <summary>Nothing to release: connections are pooled per file by Microsoft.Data.Sqlite and closed after each operation.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Who acts through this store (e.g. <c>cli:alice</c>), recorded with each history entry; null when unknown.</summary>
    public string? Actor { get; }

    /// <summary>Creates a new store; refuses to touch an existing file.</summary>
    public static async Task<SqliteSecretStore> CreateAsync(string path, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a store already exists at {path}; pgrotate init never overwrites one");
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        // A folder made here holds the store (and its lock folder) and nothing else: owner-only.
        PrivateFolder.Create(directory);
        // Created empty with owner-only permissions before SQLite writes anything into it.
        await using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }).ConfigureAwait(false))
        {
        }

        var store = new SqliteSecretStore(path, key, time, actor);
        try
        {
            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            await store.ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
            await Migrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeTransaction = transaction.ConfigureAwait(false);
            await store.ExecuteAsync(connection, transaction, "INSERT INTO meta(key, value) VALUES ('key_id', $v)", cancellationToken, ("$v", key.KeyId)).ConfigureAwait(false);
            await store.ExecuteAsync(connection, transaction, "INSERT INTO meta(key, value) VALUES ('key_check', $v)", cancellationToken, ("$v", store._values.SealKeyCheck())).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
            throw;
        }

        return store;
    }

    /// <summary>Opens an existing store, checking integrity and the master key first.</summary>
    internal static async Task<SqliteSecretStore> OpenAsync(string path, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken)
    {
        EnsureExists(path);
        await CheckHeaderAsync(path, cancellationToken).ConfigureAwait(false);
        var store = new SqliteSecretStore(path, key, time, actor);
        try
        {
            var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var closeConnection = connection.ConfigureAwait(false);
            var integrity = await store.ScalarAsync<string>(connection, null, "PRAGMA quick_check", cancellationToken).ConfigureAwait(false);
            if (integrity != "ok")
            {
                throw Corrupt(path, null);
            }

            // The key check reads only the meta table, which every schema version has: a wrong key must be refused
            // before a migration writes to the file.
            var legacyKeyCheck = await store.CheckKeyAsync(connection, cancellationToken).ConfigureAwait(false);
            await Migrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            if (legacyKeyCheck is not null)
            {
                await store.AuthenticateExistingRowsAsync(connection, legacyKeyCheck, cancellationToken).ConfigureAwait(false);
            }

            await store.MoveLegacyPendingAdminPasswordsAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw Corrupt(path, e);
        }

        return store;
    }

    internal static void EnsureExists(string path)
    {
        if (!File.Exists(path))
        {
            throw new PgRotateException(ErrorCode.StoreMissing, $"no store at {path}; create one with 'pgrotate init' or point --store / PGROTATE_STORE at it");
        }
    }

    private static PgRotateException Corrupt(string path, Exception? inner) =>
        new(ErrorCode.StoreCorrupt, $"store {path} is damaged (truncated or corrupted); restore it from a backup. Nothing was changed", inner);

    private static async Task CheckHeaderAsync(string path, CancellationToken cancellationToken)
    {
        var header = new byte[SqliteHeader.Length];
        var stream = File.OpenRead(path);
        await using var closeStream = stream.ConfigureAwait(false);
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader) || stream.Length < 512)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"{path} is not a pgrotate store (not an SQLite database, or truncated). Nothing was changed");
        }
    }

    /// <summary>Proves the master key right; returns the stored key check when it is still in the legacy form (rows not yet authenticated), else null.</summary>
    private async Task<string?> CheckKeyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        // Another program's SQLite file has no meta table: refuse it here, before a migration would create ours in it.
        var hasMeta = await ScalarAsync<long>(connection, null, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", cancellationToken).ConfigureAwait(false);
        if (hasMeta == 0)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"{Path} is not a pgrotate store (no key check). Nothing was changed");
        }

        var storedKeyId = await ScalarAsync<string>(connection, null, "SELECT value FROM meta WHERE key = 'key_id'", cancellationToken).ConfigureAwait(false);
        var check = await ScalarAsync<string>(connection, null, "SELECT value FROM meta WHERE key = 'key_check'", cancellationToken).ConfigureAwait(false);
        if (storedKeyId is null || check is null)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"{Path} is not a pgrotate store (no key check). Nothing was changed");
        }

        return _values.CheckKey(storedKeyId, check) == StoredValues.KeyCheck.Legacy ? check : null;
    }

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Foreign keys keep secrets tied to their targets; FULL makes each commit durable before a role is changed.
        // (WAL, which lets readers such as 'pgrotate get' run while a rotation writes, is set once in the file.)
        await ExecuteAsync(connection, null, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// BEGIN IMMEDIATE: takes the write lock up front, so two processes changing one secret queue on SQLite's busy
    /// timeout instead of failing half-way through. (Microsoft.Data.Sqlite has no async overload; SQLite is in-process.)
    /// </summary>
    private static SqliteTransaction BeginWriteTransaction(SqliteConnection connection) => connection.BeginTransaction(deferred: false);

    private string Now() => Format(_time.GetUtcNow());

    internal static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    internal static DateTimeOffset? ParseTimeOrNull(object value) => value is string text ? ParseTime(text) : null;

    private async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = CreateCommand(connection, transaction, sql, parameters);
        await using var closeCommand = command.ConfigureAwait(false);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T?> ScalarAsync<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        var command = CreateCommand(connection, transaction, sql, parameters);
        await using var closeCommand = command.ConfigureAwait(false);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), CultureInfo.InvariantCulture);
    }

    private static SqliteCommand CreateCommand(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
