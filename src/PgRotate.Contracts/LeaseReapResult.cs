namespace PgRotate.Contracts;

/// <summary>What one <c>lease reap</c> pass did.</summary>
/// <param name="Revoked">Leases whose login was dropped (expired, or a revocation retried).</param>
/// <param name="Failed">Attempts that failed; each is retried later with backoff.</param>
/// <param name="Swept">Roles with the lease prefix that no lease named, dropped by the orphan sweep.</param>
public sealed record LeaseReapResult(int Revoked, int Failed, IReadOnlyList<string> Swept);
