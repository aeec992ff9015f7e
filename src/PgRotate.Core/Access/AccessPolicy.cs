namespace PgRotate.Access;

/// <summary>Everything one token is granted: the union of its policies.</summary>
public sealed class AccessPolicy(IReadOnlyList<TokenPolicy> policies)
{
    internal IReadOnlyList<TokenPolicy> Policies => policies;

    public bool Allows(Capability capability, string secret) => policies.Any(p => p.Allows(capability, secret));

    /// <summary>Admin over every secret (<c>admin:*</c>): what store-wide views such as the audit log ask for.</summary>
    public bool IsAdministrator => policies.Any(p => p is { Capability: Capability.Admin, Pattern: TokenPolicy.Everything });
}
