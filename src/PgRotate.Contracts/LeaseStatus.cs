namespace PgRotate.Contracts;

/// <summary>Where a lease stands, as written on the wire.</summary>
public enum LeaseStatus
{
    /// <summary>Its login works until its expiry.</summary>
    Active,

    /// <summary>It ended; dropping its login has not finished yet and is retried.</summary>
    Revoking,

    /// <summary>Its login is gone.</summary>
    Revoked,
}
