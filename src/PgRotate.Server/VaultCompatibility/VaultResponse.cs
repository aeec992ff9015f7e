namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// The envelope of every Vault answer with a body: <see cref="LeaseId"/> in Vault's form
/// (<c>MOUNT/creds/ROLE/ID</c>, empty when the answer has no lease), the lease's remaining seconds, and
/// <see cref="Data"/>; pgrotate never wraps responses or returns auth, so those are null.
/// </summary>
internal sealed record VaultResponse<TData>(
    string RequestId,
    string LeaseId,
    bool Renewable,
    long LeaseDuration,
    TData? Data,
    object? WrapInfo = null,
    IReadOnlyList<string>? Warnings = null,
    object? Auth = null)
{
    /// <summary>A fresh request id, as Vault gives every answer (clients log it; pgrotate keeps no record of it).</summary>
    public static string NewRequestId() => Guid.NewGuid().ToString();
}
