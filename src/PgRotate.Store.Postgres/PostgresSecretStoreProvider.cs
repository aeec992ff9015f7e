using PgRotate.Crypto;

namespace PgRotate.Store.Postgres;

/// <summary>
/// Creates and opens stores in PostgreSQL (<see cref="StoreKind.Postgres"/> locations). <paramref name="environment"/>
/// looks up the store's password variable (<see cref="PostgresStoreConnection.PasswordVariable"/>).
/// </summary>
public sealed class PostgresSecretStoreProvider(Func<string, string?> environment) : ISecretStoreProvider
{
    public StoreKind Kind => StoreKind.Postgres;

    /// <summary>Nothing: whether the store exists is known only after connecting, which <see cref="OpenAsync"/> does.</summary>
    public Task EnsureExistsAsync(StoreLocation location, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<ISecretStore> CreateAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken) =>
        await PostgresSecretStore.CreateAsync(PostgresStoreConnection.Parse(location.Value, environment), key, time, actor, cancellationToken).ConfigureAwait(false);

    public async Task<ISecretStore> OpenAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken) =>
        await PostgresSecretStore.OpenAsync(PostgresStoreConnection.Parse(location.Value, environment), key, time, actor, cancellationToken).ConfigureAwait(false);
}
