namespace PgRotate.Contracts;

/// <summary>
/// One entry of the audit log (<c>GET /v1/audit</c>): its place in the chain, when, what (<c>credential.read</c>,
/// <c>rotation.finished</c>, <c>token.created</c> …), who, on which secret and version, from which address. Never a
/// secret value.
/// </summary>
public sealed record AuditEvent(
    long Sequence,
    DateTimeOffset At,
    string Action,
    string? Actor,
    string? Secret,
    int? Version,
    string? Address,
    string? Detail);
