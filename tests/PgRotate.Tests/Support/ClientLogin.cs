using System.Text.Json;
using Npgsql;

namespace PgRotate.Tests.Support;

/// <summary>Reads credentials the way a client would (through 'pgrotate get') and logs in with them.</summary>
public static class ClientLogin
{
    public sealed record Login(string Username, string Password, int Version);

    public static async Task<Login> GetAsync(CliSandbox sandbox, string secret, string stage = "current")
    {
        var json = (await sandbox.RunAsync("get", secret, "--stage", stage)).Ok();
        var root = JsonDocument.Parse(json).RootElement;
        return new Login(root.GetProperty("username").GetString()!, root.GetProperty("password").GetString()!, root.GetProperty("version").GetInt32());
    }

    public static async Task<NpgsqlConnection> OpenAsync(PostgresFixture postgres, Login login, string database = "postgres")
    {
        var connection = new NpgsqlConnection(postgres.Cluster.ConnectionString(database, login.Username, new global::PgRotate.Crypto.SecretText(login.Password)));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>(session_user, current_user) of a fresh login, or the SQLSTATE it failed with.</summary>
    public static async Task<string> WhoAmIAsync(PostgresFixture postgres, Login login, string database = "postgres")
    {
        try
        {
            await using var connection = await OpenAsync(postgres, login, database);
            await using var command = new NpgsqlCommand("SELECT session_user || '/' || current_user", connection);
            return (string)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException e)
        {
            return e.SqlState;
        }
    }
}
