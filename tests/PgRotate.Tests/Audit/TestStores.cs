using PgRotate.Crypto;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Store.Sqlite;

namespace PgRotate.Tests.Audit;

/// <summary>
/// Where the audit, change-feed and scheduler tests create and open stores: through the providers the CLI uses, in one
/// place, so a change to how a store is opened is made once for all of them.
/// </summary>
internal static class TestStores
{
    public static Task<ISecretStore> CreateAsync(StoreLocation location, MasterKey key, TimeProvider time) =>
        Provider(location).CreateAsync(location, key, time, null, TestContext.Current.CancellationToken);

    public static Task<ISecretStore> OpenAsync(StoreLocation location, MasterKey key, TimeProvider time) =>
        Provider(location).OpenAsync(location, key, time, null, TestContext.Current.CancellationToken);

    private static ISecretStoreProvider Provider(StoreLocation location) =>
        location.Kind == StoreKind.Sqlite ? new SqliteStoreProvider() : new PostgresSecretStoreProvider(_ => null);
}
