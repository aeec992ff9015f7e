using Microsoft.Data.Sqlite;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store;

/// <summary>The store file edited the way someone without the master key could: plain SQLite on the file.</summary>
public static class RawStore
{
    public static async Task ExecuteAsync(this CliSandbox sandbox, string sql, params (string Name, object? Value)[] parameters)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sandbox.StorePath, Pooling = false }.ToString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        // As someone editing the file by hand would: no foreign key checks.
        command.CommandText = "PRAGMA foreign_keys = OFF; " + sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(this CliSandbox sandbox, string sql)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sandbox.StorePath, Pooling = false }.ToString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Flips one bit in the middle of a stored ciphertext.</summary>
    public static async Task DamageAsync(this CliSandbox sandbox, string table, string column, string where)
    {
        var value = await sandbox.ScalarAsync<byte[]>($"SELECT {column} FROM {table} WHERE {where}");
        value[value.Length / 2] ^= 0x01;
        await sandbox.ExecuteAsync($"UPDATE {table} SET {column} = $v WHERE {where}", ("$v", value));
    }
}
