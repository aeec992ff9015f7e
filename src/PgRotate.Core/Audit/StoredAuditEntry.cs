namespace PgRotate.Audit;

/// <summary>An audit entry as a store reads it back for verification: the entry, and the hash it claims to follow.</summary>
public sealed record StoredAuditEntry(long Sequence, DateTimeOffset At, AuditRecord Record, string PreviousHash, string Hash)
{
    public AuditEntry ToEntry() => new(Sequence, At, Record, Hash);
}
