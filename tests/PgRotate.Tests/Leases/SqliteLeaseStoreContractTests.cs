using Microsoft.Data.Sqlite;
using PgRotate.Crypto;
using PgRotate.Postgres;
using PgRotate.Secrets;
using PgRotate.Store;
using PgRotate.Store.Sqlite;
using PgRotate.Targets;

namespace PgRotate.Tests.Leases;

/// <summary>The lease store contract on the SQLite store, and its upgrade from the schema before leases.</summary>
public sealed class SqliteLeaseStoreContractTests : LeaseStoreContractTests
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pgrotate-leases-").FullName;

    protected override ValueTask CleanUpAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    protected override async Task<ISecretStore> CreateStoreAsync(MasterKey key) =>
        await new SqliteStoreProvider().CreateAsync(new StoreLocation(StoreKind.Sqlite, Path.Combine(_folder, "store.db")), key, Time, null, Ct);

    protected override async Task<ISecretStore> OpenAgainAsync(ISecretStore store, MasterKey key) =>
        await new SqliteStoreProvider().OpenAsync(new StoreLocation(StoreKind.Sqlite, store.Location), key, Time, null, Ct);

    protected override async Task EditBehindTheStoreAsync(ISecretStore store, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = store.Location, Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task A_store_from_before_leases_keeps_its_secrets_and_takes_dynamic_ones_after_the_upgrade()
    {
        var store = await CreateStoreAsync(Key);
        await store.AddTargetAsync(new Target("orders-db", "Host=db.internal;Port=5432;Database=orders", "rotator", new SecretText("admin-pw")), Ct);
        var group = RoleName.Parse("orders");
        var alternating = new Secret("orders/app", "orders-db", Strategy.Alternating, group, RoleName.Parse("orders_a"), RoleName.Parse("orders_b"),
            null, TimeSpan.FromHours(1), null, Adoption.None, Time.GetUtcNow(), null);
        await store.AddSecretAsync(alternating, new SecretVersion("orders/app", 1, "orders_a", new SecretText("pw"), Stage.Pending, Time.GetUtcNow(), null, null), Ct);
        await store.DisposeAsync();
        // Back to schema 8: the lease tables gone, the strategy check without 'dynamic'.
        await EditBehindTheStoreAsync(store,
            """
            DROP TABLE leases; DROP TABLE lease_settings;
            PRAGMA writable_schema = ON;
            UPDATE sqlite_schema SET sql = replace(sql, '''single'', ''dynamic''', '''single''') WHERE name = 'secrets';
            PRAGMA writable_schema = OFF;
            PRAGMA user_version = 8;
            """);
        SqliteConnection.ClearAllPools();

        var upgraded = await OpenAgainAsync(store, Key);
        await using var closeUpgraded = upgraded;

        Assert.Equal(alternating, await upgraded.GetSecretAsync("orders/app", Ct));
        Assert.Equal("pw", (await upgraded.FindVersionAsync("orders/app", Stage.Pending, Ct))!.Password.Reveal());
        await upgraded.Leases.AddDynamicSecretAsync(alternating with { Name = "orders/instances", Strategy = Strategy.Dynamic, LoginA = group, LoginB = null },
            new PgRotate.Leases.LeaseSettings("orders/instances", TimeSpan.FromHours(1), TimeSpan.FromHours(2), PgRotate.Leases.LeaseRoleNames.DefaultTemplate), Ct);
        Assert.Equal(Strategy.Dynamic, (await upgraded.GetSecretAsync("orders/instances", Ct)).Strategy);
    }
}
