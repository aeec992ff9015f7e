using PgRotate.Crypto;

namespace PgRotate.Store;

/// <summary>Creates and opens one kind of store; the CLI chooses a provider by <see cref="StoreLocation.Kind"/>.</summary>
public interface ISecretStoreProvider
{
    StoreKind Kind { get; }

    /// <summary>
    /// Fails with <c>StoreMissing</c> when there is plainly no store at <paramref name="location"/>, before a master key
    /// is looked for (a missing store is the more likely mistake). A store that cannot tell without connecting does nothing.
    /// </summary>
    Task EnsureExistsAsync(StoreLocation location, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a new store; refuses (<c>AlreadyExists</c>) to touch an existing one. <paramref name="actor"/> is who acts
    /// through it (see <see cref="ISecretStore.Actor"/>).
    /// </summary>
    Task<ISecretStore> CreateAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken);

    /// <summary>
    /// Opens an existing store, checking that it is intact and that <paramref name="key"/> is its master key before
    /// anything is read or written. <paramref name="actor"/> is who acts through it (see <see cref="ISecretStore.Actor"/>).
    /// </summary>
    Task<ISecretStore> OpenAsync(StoreLocation location, MasterKey key, TimeProvider time, string? actor, CancellationToken cancellationToken);
}
