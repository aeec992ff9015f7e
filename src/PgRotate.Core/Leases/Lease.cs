namespace PgRotate.Leases;

/// <summary>
/// One per-instance credential of a dynamic secret: the login role <see cref="Role"/> exists from
/// <see cref="IssuedAt"/> until the lease ends, and PostgreSQL refuses its password from <see cref="ExpiresAt"/> on
/// (its VALID UNTIL), whether pgrotate runs or not. Renewals move <see cref="ExpiresAt"/>, never past
/// <see cref="MaxExpiresAt"/>. <see cref="IssuedBy"/> is the actor that issued it (<c>token:NAME</c> through the API,
/// <c>cli:USER</c> from the command line): revoking that token revokes the lease. The password is kept sealed apart
/// (see <see cref="ILeaseStore"/>).
/// </summary>
public sealed record Lease(
    string Id,
    string Secret,
    string Role,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset MaxExpiresAt,
    string? IssuedBy,
    LeaseState State = LeaseState.Active,
    string? RevokeReason = null,
    int RevokeAttempts = 0,
    string? LastError = null,
    DateTimeOffset? NextAttemptAt = null,
    DateTimeOffset? RevokedAt = null)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}
