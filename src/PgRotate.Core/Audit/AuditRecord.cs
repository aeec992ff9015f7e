namespace PgRotate.Audit;

/// <summary>
/// What happened, to be appended to the audit log: an action (<c>credential.read</c>, <c>rotation.finished</c>,
/// <c>token.created</c> …), who did it, on which secret and version, from which address, and a detail that never
/// holds a secret value.
/// </summary>
public sealed record AuditRecord(string Action, string? Actor, string? Secret = null, int? Version = null, string? Address = null, string? Detail = null);
