using PgRotate.Crypto;
using PgRotate.Store;

namespace PgRotate.Store.Sqlite;

/// <summary>Creates and opens SQLite stores: the location is the path of the file.</summary>
public sealed class SqliteStoreProvider : ISecretStoreProvider
{
    public StoreKind Kind => StoreKind.Sqlite;

    public Task EnsureExistsAsync(StoreLocation location, CancellationToken cancellationToken)
    {
        SqliteSecretStore.EnsureExists(location.Value);
        return Task.CompletedTask;
    }

    public async Task<ISecretStore> CreateAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken) =>
        await SqliteSecretStore.CreateAsync(location.Value, key, time, actor, cancellationToken).ConfigureAwait(false);

    public async Task<ISecretStore> OpenAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken) =>
        await SqliteSecretStore.OpenAsync(location.Value, key, time, actor, cancellationToken).ConfigureAwait(false);
}
