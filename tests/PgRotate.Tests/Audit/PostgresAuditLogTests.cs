using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Audit;

/// <summary>The audit log contract on the PostgreSQL store: a database of its own on the test cluster per store.</summary>
public sealed class PostgresAuditLogTests(PostgresFixture postgres) : AuditLogContractTests
{
    private readonly Dictionary<ISecretStore, string> _locations = [];

    protected override string AuditTable => "pgrotate.audit";

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key)
    {
        var database = await postgres.CreateDatabaseAsync();
        var location = new StoreLocation(StoreKind.Postgres,
            $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username=postgres;Password={postgres.Cluster.SuperuserPassword.Reveal()}");
        var store = await TestStores.CreateAsync(location, key, Time);
        _locations[store] = location.Value;
        return store;
    }

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key)
    {
        var opened = await TestStores.OpenAsync(new StoreLocation(StoreKind.Postgres, _locations[store]), key, Time);
        _locations[opened] = _locations[store];
        return opened;
    }

    protected override Task TamperAsync(ISecretStore store, string sql) =>
        ExecuteUnguardedAsync(store, "ALTER TABLE pgrotate.audit DISABLE TRIGGER audit_append_only; " + sql);

    /// <summary>Plain SQL on the store's database as its superuser, as someone without the master key would edit it.</summary>
    protected override Task ExecuteUnguardedAsync(ISecretStore store, string sql) =>
        postgres.ExecuteAsync(sql, new Npgsql.NpgsqlConnectionStringBuilder(_locations[store]).Database!);
}
