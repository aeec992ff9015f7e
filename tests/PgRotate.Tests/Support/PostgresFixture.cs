using Npgsql;
using PgRotate.Local;
using PgRotate.Tests.Support;

[assembly: AssemblyFixture(typeof(PostgresFixture))]

namespace PgRotate.Tests.Support;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test assembly: the server in $PGROTATE_TEST_PG_BINDIR, else the
/// newest installed. Tests isolate themselves by unique role, database and store names, so they run in parallel.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string BinDirVariable = "PGROTATE_TEST_PG_BINDIR";

    public ThrowawayCluster Cluster { get; private set; } = null!;

    public int MajorVersion => Cluster.MajorVersion;

    public async ValueTask InitializeAsync()
    {
        Cluster = await ThrowawayCluster.StartAsync(Environment.GetEnvironmentVariable(BinDirVariable), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();

    public async Task ExecuteAsync(string sql, string database = "postgres")
    {
        await using var connection = await Cluster.OpenSuperuserConnectionAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, string database = "postgres")
    {
        await using var connection = await Cluster.OpenSuperuserConnectionAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A new database owned by the superuser, where a test can create tables without meeting others'.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = Unique.Name("db");
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Everything about roles a rotation can change, as text, to compare before and after.</summary>
    public Task<string> RoleCatalogSnapshotAsync() => ScalarAsync<string>(
        """
        SELECT concat_ws(E'\n',
          (SELECT string_agg(concat_ws('|', rolname, rolcanlogin, rolsuper, rolvaliduntil, md5(coalesce(rolpassword, ''))), E'\n' ORDER BY rolname) FROM pg_authid),
          (SELECT string_agg(concat_ws('|', roleid::regrole, member::regrole, admin_option), E'\n' ORDER BY 1) FROM pg_auth_members),
          (SELECT string_agg(concat_ws('|', setrole, setdatabase, setconfig::text), E'\n' ORDER BY 1) FROM pg_db_role_setting))
        """);
}
