namespace PgRotate.Contracts;

/// <summary>One lease as <c>lease list</c> (and <c>lease renew</c>, <c>lease revoke</c>) show it: never its password.</summary>
/// <param name="Role">The login role the lease created.</param>
/// <param name="IssuedBy">The actor that issued it (<c>token:NAME</c>, <c>cli:USER</c>).</param>
/// <param name="RevokeReason"><c>revoked</c>, <c>expired</c> or <c>token_revoked</c> once it ended.</param>
/// <param name="RevokeAttempts">Failed attempts to drop its login so far.</param>
/// <param name="LastError">The last such failure's message.</param>
/// <param name="NextAttemptAt">When dropping its login is tried again.</param>
public sealed record LeaseSummary(
    string Id,
    string Secret,
    string Role,
    LeaseStatus Status,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    string? IssuedBy,
    string? RevokeReason,
    int RevokeAttempts,
    string? LastError,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? RevokedAt);
