namespace PgRotate.Audit;

/// <summary>
/// One entry of the audit log as stored: its position in the chain, when it was appended, what was recorded, and the
/// hash that chains it to the entry before it.
/// </summary>
public sealed record AuditEntry(long Sequence, DateTimeOffset At, AuditRecord Record, string Hash);
