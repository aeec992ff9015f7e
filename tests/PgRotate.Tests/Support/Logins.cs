using Microsoft.Data.Sqlite;
using Npgsql;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Support;

/// <summary>What tests need besides the CLI: logging in as a role, reading a secret's password, a store's raw bytes.</summary>
public static class Logins
{
    /// <summary>A fresh, unpooled TCP login (password authentication, as clients use it).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(PostgresFixture postgres, string user, SecretText password, string database = "postgres", string? applicationName = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(postgres.Cluster.ConnectionString(database, user, password));
        if (applicationName is not null)
        {
            builder.ApplicationName = applicationName;
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    /// <summary>Gives <paramref name="role"/> LOGIN and a new generated password, set as a verifier, and returns the password.</summary>
    public static async Task<SecretText> GivePasswordAsync(PostgresFixture postgres, string role)
    {
        var password = PasswordGenerator.Generate();
        await postgres.ExecuteAsync($"ALTER ROLE {Sql.Identifier(role)} LOGIN PASSWORD {Sql.Literal(ScramVerifier.Create(password))}");
        return password;
    }

    public static async Task<T> ScalarAsync<T>(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public static async Task ExecuteAsync(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The sandbox's store, opened with its key file (there is no 'get' command yet).</summary>
    public static async Task<SqliteSecretStore> OpenStoreAsync(this CliSandbox sandbox)
    {
        var ct = TestContext.Current.CancellationToken;
        return await SqliteSecretStore.OpenAsync(sandbox.StorePath, await MasterKey.ReadFileAsync(sandbox.KeyPath, ct), TimeProvider.System, null, ct);
    }

    /// <summary>The current version of a secret: its login and password.</summary>
    public static async Task<SecretVersion> CurrentVersionAsync(this CliSandbox sandbox, string secret)
    {
        var store = await sandbox.OpenStoreAsync();
        var current = await store.FindVersionAsync(secret, Stage.Current, TestContext.Current.CancellationToken);
        Assert.NotNull(current);
        return current;
    }

    /// <summary>
    /// The store's bytes on disk (the database file, then its write-ahead log if any). Pooled SQLite connections are
    /// closed first, so every committed write has been checkpointed into the database file.
    /// </summary>
    public static async Task<byte[]> StoreBytesAsync(this CliSandbox sandbox)
    {
        SqliteConnection.ClearAllPools();
        var ct = TestContext.Current.CancellationToken;
        var bytes = await File.ReadAllBytesAsync(sandbox.StorePath, ct);
        var wal = sandbox.StorePath + "-wal";
        return File.Exists(wal) ? [.. bytes, .. await File.ReadAllBytesAsync(wal, ct)] : bytes;
    }
}
