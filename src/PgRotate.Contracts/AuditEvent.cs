namespace PgRotate.Contracts;

/// <summary>
/// One entry of the audit log: its place in the chain, when, what (<c>credential.read</c>, <c>rotation.finished</c> …),
/// who, on which secret and version, from which address, a detail that never holds a secret value, and its chain hash.
/// </summary>
public sealed record AuditEvent(
    long Sequence,
    DateTimeOffset At,
    string Action,
    string? Actor,
    string? Secret,
    int? Version,
    string? Address,
    string? Detail,
    string Hash);
