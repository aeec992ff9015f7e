using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Tests.Support;

namespace PgRotate.Tests.Store.Contract;

/// <summary>The store contract on the PostgreSQL store: a database of its own on the test cluster per store.</summary>
public sealed class PostgresStoreContractTests(PostgresFixture postgres) : StoreContractTests
{
    private readonly Dictionary<ISecretStore, string> _locations = [];

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key)
    {
        var database = await postgres.CreateDatabaseAsync();
        var location = new StoreLocation(StoreKind.Postgres,
            $"Host={postgres.Cluster.Host};Port={postgres.Cluster.Port};Database={database};Username=postgres;Password={postgres.Cluster.SuperuserPassword.Reveal()}");
        var store = await Provider().CreateAsync(location, key, Time, null, Ct);
        _locations[store] = location.Value;
        return store;
    }

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key, string? actor = null)
    {
        var opened = await Provider().OpenAsync(new StoreLocation(StoreKind.Postgres, _locations[store]), key, Time, actor, Ct);
        _locations[opened] = _locations[store];
        return opened;
    }

    protected override Task ChangeTargetUsernameBehindTheStoreAsync(ISecretStore store, string target, string username) =>
        ExecuteAsync(store, $"UPDATE pgrotate.targets SET username = '{username}' WHERE name = '{target}'");

    protected override Task DamageVersionPasswordAsync(ISecretStore store, string secret, int version) =>
        ExecuteAsync(store,
            $"UPDATE pgrotate.versions SET password = set_byte(password, length(password) / 2, get_byte(password, length(password) / 2) # 1) WHERE secret = '{secret}' AND version = {version}");

    private static PostgresSecretStoreProvider Provider() => new(_ => null);

    /// <summary>Plain SQL on the store's database as its superuser, as someone without the master key would edit it.</summary>
    private async Task ExecuteAsync(ISecretStore store, string sql) =>
        await postgres.ExecuteAsync(sql, new Npgsql.NpgsqlConnectionStringBuilder(_locations[store]).Database!);
}
