namespace PgRotate.Contracts;

/// <summary>What <c>audit verify</c> found: how many entries of the hash chain are intact, and the first that is not (with why).</summary>
/// <param name="FirstBadSequence">The sequence number of the first edited, deleted, inserted or moved entry; null when the chain is intact.</param>
public sealed record AuditVerificationResult(long EntriesChecked, long? FirstBadSequence, string? Problem, bool Intact);
