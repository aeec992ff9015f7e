using PgRotate.Contracts;

namespace PgRotate.Client;

/// <summary>
/// Where a <see cref="PgRotateDataSource"/> gets the credential it opens connections with: the shared credential of a
/// rotated secret (<see cref="CredentialWatcher"/>) or a lease of its own (<see cref="LeaseKeeper"/>).
/// </summary>
internal interface ICredentialFeed : IAsyncDisposable
{
    string Secret { get; }

    Credential Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed, in order, never concurrently.</summary>
    event Action<Credential>? Changed;

    /// <summary>PostgreSQL refused <paramref name="refused"/>: get a working credential now if there is one to get.</summary>
    Task RefreshAfterRefusalAsync(Credential refused, CancellationToken cancellationToken);

    /// <summary>Waits at most <paramref name="timeout"/> for a credential newer than <paramref name="version"/>.</summary>
    Task<Credential> WaitForNewerThanAsync(int version, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// The data source stopped opening connections as <paramref name="credential"/>'s login;
    /// <paramref name="connectionsBack"/> completes once all of them are closed and its pool is gone.
    /// </summary>
    void LoginRetired(Credential credential, Task connectionsBack);
}
