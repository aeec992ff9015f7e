using Npgsql;
using PgRotate.Crypto;
using PgRotate.Local;
using PgRotate.Postgres;
using PgRotate.Store.Postgres;

namespace PgRotate.Bench;

/// <summary>A PostgreSQL store for the benchmark: a database of its own on the benchmark's cluster, reached over TCP like a remote one.</summary>
internal static class PostgresStoreBench
{
    public const string Database = "pgrotate_store";

    public static async Task<PostgresSecretStore> CreateStoreAsync(ThrowawayCluster cluster, MasterKey key)
    {
        const string database = Database;
        await using (var admin = await cluster.OpenSuperuserConnectionAsync())
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {Sql.Identifier(database)}", admin))
        {
            await create.ExecuteNonQueryAsync();
        }

        var connection = PostgresStoreConnection.Parse(cluster.ConnectionString(database), _ => null);
        return await PostgresSecretStore.CreateAsync(connection, key, TimeProvider.System, "bench", CancellationToken.None);
    }
}
