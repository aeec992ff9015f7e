using Npgsql;
using PgRotate.Crypto;

namespace PgRotate.Targets;

/// <summary>
/// A PostgreSQL server and database, and the admin ("rotator") credential pgrotate changes roles with.
/// <see cref="ConnectionString"/> never holds the password; it is stored apart, encrypted.
/// </summary>
public sealed record Target(string Name, string ConnectionString, string Username, SecretText Password)
{
    internal string Host => new NpgsqlConnectionStringBuilder(ConnectionString).Host ?? "localhost";
    internal int Port => new NpgsqlConnectionStringBuilder(ConnectionString).Port;
    internal string Database => new NpgsqlConnectionStringBuilder(ConnectionString).Database ?? Username;

    /// <summary>"host:port/database", for messages.</summary>
    public string Address => $"{Host}:{Port}/{Database}";
}
