using PgRotate.Errors;
using PgRotate.Store;
using PgRotate.Store.Postgres;
using PgRotate.Store.Sqlite;

namespace PgRotate.Cli;

/// <summary>
/// The composition point for stores: the one place where the CLI names concrete store types. Every command creates and
/// opens its store through the provider chosen here for the kind of <c>--store</c> location.
/// </summary>
public static class StoreProviders
{
    /// <param name="environment">Where a store finds its own password variable (PGROTATE_STORE_PASSWORD for PostgreSQL).</param>
    public static ISecretStoreProvider For(StoreLocation location, Func<string, string?> environment) => location.Kind switch
    {
        StoreKind.Sqlite => new SqliteStoreProvider(),
        StoreKind.Postgres => new PostgresSecretStoreProvider(environment),
        _ => throw new PgRotateException(ErrorCode.InvalidInput,
            $"--store names a {KindName(location.Kind)} store, which is not available in this build of pgrotate; give the path of an SQLite file"),
    };

    private static string KindName(StoreKind kind) => kind switch
    {
        StoreKind.Postgres => "PostgreSQL",
        _ => kind.ToString(),
    };
}
