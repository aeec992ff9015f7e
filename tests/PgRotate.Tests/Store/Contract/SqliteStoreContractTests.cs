using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Store.Contract;

/// <summary>The store contract on the SQLite store: a fresh file in a folder of its own per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-contract-").FullName;

    protected override ValueTask CleanUpAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key) =>
        await new SqliteStoreProvider().CreateAsync(new StoreLocation(StoreKind.Sqlite, Path.Combine(_folder, "store.db")), key, Time, null, Ct);

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key, string? actor = null) =>
        await new SqliteStoreProvider().OpenAsync(new StoreLocation(StoreKind.Sqlite, store.Location), key, Time, actor, Ct);

    protected override Task ChangeTargetUsernameBehindTheStoreAsync(ISecretStore store, string target, string username) =>
        ExecuteAsync(store, "UPDATE targets SET username = $v WHERE name = $n", ("$v", username), ("$n", target));

    protected override async Task DamageVersionPasswordAsync(ISecretStore store, string secret, int version)
    {
        byte[] value;
        await using (var connection = await OpenFileAsync(store))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT password FROM versions WHERE secret = $s AND version = $v";
            command.Parameters.AddWithValue("$s", secret);
            command.Parameters.AddWithValue("$v", version);
            value = (byte[])(await command.ExecuteScalarAsync(Ct))!;
        }

        value[value.Length / 2] ^= 0x01;
        await ExecuteAsync(store, "UPDATE versions SET password = $p WHERE secret = $s AND version = $v", ("$p", value), ("$s", secret), ("$v", version));
    }

    private static async Task ExecuteAsync(ISecretStore store, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenFileAsync(store);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>Plain SQLite on the file, as someone without the master key would edit it.</summary>
    private static async Task<SqliteConnection> OpenFileAsync(ISecretStore store)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.Location, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        return connection;
    }
}
