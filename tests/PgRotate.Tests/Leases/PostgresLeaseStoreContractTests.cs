using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Leases;

/// <summary>The lease store contract on the PostgreSQL store: a database of its own on the test cluster per store.</summary>
public sealed class PostgresLeaseStoreContractTests(PostgresFixture postgres) : LeaseStoreContractTests
{
    private readonly Dictionary<ISecretStore, string> _locations = [];

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key)
    {
        var database = await postgres.CreateDatabaseAsync();
        var location = new StoreLocation(StoreKind.Postgres,
            $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username=postgres;Password={postgres.Cluster.SuperuserPassword.Reveal()}");
        var store = await new PostgresSecretStoreProvider(_ => null).CreateAsync(location, key, Time, null, Ct);
        _locations[store] = location.Value;
        return store;
    }

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key)
    {
        var opened = await new PostgresSecretStoreProvider(_ => null).OpenAsync(new StoreLocation(StoreKind.Postgres, _locations[store]), key, Time, null, Ct);
        _locations[opened] = _locations[store];
        return opened;
    }

    protected override Task EditBehindTheStoreAsync(ISecretStore store, string sql) =>
        postgres.ExecuteAsync("SET search_path = pgrotate; " + sql, new Npgsql.NpgsqlConnectionStringBuilder(_locations[store]).Database!);
}
