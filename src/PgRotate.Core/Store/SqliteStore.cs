using System.Globalization;
using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Errors;
using PgRotate.Local;

namespace PgRotate.Store;

/// <summary>
/// The embedded store: one SQLite file holding targets, secrets, versions and history. Every password is sealed with
/// <see cref="Envelope"/> under the master key, bound to its row. Opening checks the file is a pgrotate store, intact,
/// and that the master key is the one it was created with, before anything is read or written.
/// </summary>
public sealed partial class SqliteStore
{
    // The key check's associated data also says whether every target and secret row carries a MAC: a store written
    // before rows were authenticated has the first form, and is upgraded to the second on its first open.
    private const string LegacyKeyCheckAssociatedData = "store:key-check";
    private const string KeyCheckAssociatedData = "store:key-check:rows-authenticated";
    private const string KeyCheckPlaintext = "pgrotate";
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    private readonly string _connectionString;
    private readonly Envelope _envelope;
    private readonly RowAuthenticator _rows;
    private readonly TimeProvider _time;

    private SqliteStore(string path, MasterKey key, TimeProvider time)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _envelope = new Envelope(key);
        _rows = new RowAuthenticator(key);
        KeyId = key.KeyId;
        _time = time;
    }

    public string Path { get; }
    public string KeyId { get; }

    /// <summary>Who acts through this store (e.g. <c>cli:alice</c>), recorded with each history entry; null when unknown.</summary>
    public string? Actor { get; set; }

    /// <summary>Creates a new store; refuses to touch an existing file.</summary>
    public static async Task<SqliteStore> CreateAsync(string path, MasterKey key, TimeProvider time, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            throw new PgRotateException(ErrorCode.AlreadyExists, $"a store already exists at {path}; pgrotate init never overwrites one");
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        // A folder made here holds the store (and its lock folder) and nothing else: owner-only.
        PrivateFolder.Create(directory);
        // Created empty with owner-only permissions before SQLite writes anything into it.
        await using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
        }

        var store = new SqliteStore(path, key, time);
        try
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await store.ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
            await Migrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await store.ExecuteAsync(connection, transaction, "INSERT INTO meta(key, value) VALUES ('key_id', $v)", cancellationToken, ("$v", key.KeyId)).ConfigureAwait(false);
            await store.ExecuteAsync(connection, transaction, "INSERT INTO meta(key, value) VALUES ('key_check', $v)", cancellationToken, ("$v", store.SealKeyCheck())).ConfigureAwait(false);
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
    public static async Task<SqliteStore> OpenAsync(string path, MasterKey key, TimeProvider time, CancellationToken cancellationToken)
    {
        EnsureExists(path);
        await CheckHeaderAsync(path, cancellationToken).ConfigureAwait(false);
        var store = new SqliteStore(path, key, time);
        try
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var integrity = await store.ScalarAsync<string>(connection, null, "PRAGMA quick_check", cancellationToken).ConfigureAwait(false);
            if (integrity != "ok")
            {
                throw Corrupt(path, null);
            }

            // The key check reads only the meta table, which every schema version has: a wrong key must be refused
            // before a migration writes to the file.
            var legacyKeyCheck = await store.CheckKeyAsync(connection, key, cancellationToken).ConfigureAwait(false);
            await Migrations.ApplyAsync(connection, cancellationToken).ConfigureAwait(false);
            if (legacyKeyCheck is not null)
            {
                await store.AuthenticateExistingRowsAsync(connection, legacyKeyCheck, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SqliteException e)
        {
            throw Corrupt(path, e);
        }

        return store;
    }

    public static void EnsureExists(string path)
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
        await using var stream = File.OpenRead(path);
        var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader) || stream.Length < 512)
        {
            throw new PgRotateException(ErrorCode.StoreCorrupt, $"{path} is not a pgrotate store (not an SQLite database, or truncated). Nothing was changed");
        }
    }

    private string SealKeyCheck() => Convert.ToBase64String(_envelope.SealText(new SecretText(KeyCheckPlaintext), KeyCheckAssociatedData));

    /// <summary>Proves the master key right; returns the stored key check when it is still in the legacy form (rows not yet authenticated), else null.</summary>
    private async Task<string?> CheckKeyAsync(SqliteConnection connection, MasterKey key, CancellationToken cancellationToken)
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

        if (storedKeyId != key.KeyId)
        {
            throw new PgRotateException(ErrorCode.MasterKeyMismatch,
                $"the master key (id {key.KeyId}) is not the one store {Path} was created with (id {storedKeyId}); nothing was decrypted or changed");
        }

        byte[] sealedCheck;
        try
        {
            sealedCheck = Convert.FromBase64String(check);
        }
        catch (FormatException e)
        {
            throw Corrupt(Path, e);
        }

        if (OpensKeyCheck(sealedCheck, KeyCheckAssociatedData))
        {
            return null;
        }

        if (OpensKeyCheck(sealedCheck, LegacyKeyCheckAssociatedData))
        {
            return check;
        }

        throw new PgRotateException(ErrorCode.MasterKeyMismatch, $"the master key does not open store {Path}");
    }

    private bool OpensKeyCheck(byte[] sealedCheck, string associatedData)
    {
        try
        {
            return _envelope.OpenText(sealedCheck, associatedData).Reveal() == KeyCheckPlaintext;
        }
        catch (PgRotateException e) when (e.Code == ErrorCode.MasterKeyMismatch)
        {
            return false;
        }
    }

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Foreign keys keep versions tied to secrets; FULL makes each commit durable before a role is changed.
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
        await using var command = CreateCommand(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<T?> ScalarAsync<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = CreateCommand(connection, transaction, sql, parameters);
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
