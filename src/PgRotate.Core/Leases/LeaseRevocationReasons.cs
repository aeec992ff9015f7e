namespace PgRotate.Leases;

/// <summary>Why a lease ended, as <c>lease list</c>, the audit log and the metrics name it.</summary>
public static class LeaseRevocationReasons
{
    /// <summary><c>lease revoke</c> (or the API's equivalent).</summary>
    public const string Revoked = "revoked";

    /// <summary>Its expiry passed: the reaper ended it.</summary>
    public const string Expired = "expired";

    /// <summary>The token that issued it was revoked.</summary>
    public const string TokenRevoked = "token_revoked";

    /// <summary>A role with the lease prefix that no lease names (see <see cref="OrphanSweep"/>).</summary>
    public const string Orphan = "orphan";

    /// <summary>Its dynamic secret was removed (<c>secret remove</c>), which revokes every lease of it first.</summary>
    public const string SecretRemoved = "secret_removed";
}
