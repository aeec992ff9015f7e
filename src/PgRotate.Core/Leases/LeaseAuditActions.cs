namespace PgRotate.Leases;

/// <summary>The audit log's actions for leases; details name the lease, its role and times, never a password.</summary>
internal static class LeaseAuditActions
{
    public const string Issued = "lease.issued";

    public const string Renewed = "lease.renewed";

    /// <summary>A lease ended and its role is gone; the detail says why (<see cref="LeaseRevocationReasons"/>).</summary>
    public const string Revoked = "lease.revoked";

    /// <summary>Dropping a lease's role failed; it is retried later, the detail has the error.</summary>
    public const string RevocationFailed = "lease.revocation_failed";

    /// <summary>A role with the lease prefix that no lease names was dropped by the orphan sweep.</summary>
    public const string Swept = "lease.swept";
}
