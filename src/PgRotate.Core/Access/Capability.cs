namespace PgRotate.Access;

/// <summary>What a token may do with the secrets its policy names. <see cref="Admin"/> implies every other capability.</summary>
public enum Capability
{
    /// <summary>Read a secret's credential, its history and its place in the list.</summary>
    Read,

    /// <summary>Rotate a secret now.</summary>
    Rotate,

    /// <summary>Issue, renew, revoke and list the leases of dynamic secrets (<c>/v1/leases</c>, and <c>creds</c> and <c>sys/leases</c> on the Vault-compatible paths).</summary>
    Lease,

    /// <summary>Everything above, and with <c>admin:*</c> the audit log.</summary>
    Admin,
}
