namespace PgRotate.Leases;

/// <summary>What one reaper pass did: lease roles dropped, attempts that failed (to be retried), orphan roles swept.</summary>
public sealed record ReapResult(int Revoked, int Failed, IReadOnlyList<string> Swept);
