namespace PgRotate.Access;

/// <summary>What a token may do with the secrets its policy names. <see cref="Admin"/> implies every other capability.</summary>
public enum Capability
{
    /// <summary>Read a secret's credential, its history and its place in the list.</summary>
    Read,

    /// <summary>Rotate a secret now.</summary>
    Rotate,

    /// <summary>Take per-instance leased credentials (for the leasing that comes later; granted and checked already).</summary>
    Lease,

    /// <summary>Everything above, and with <c>admin:*</c> the audit log.</summary>
    Admin,
}
