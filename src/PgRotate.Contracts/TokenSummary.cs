namespace PgRotate.Contracts;

/// <summary>One API token as <c>token list</c> shows it: never the token itself, nor its hash.</summary>
/// <param name="Policies">Its grants, each <c>capability:pattern</c>.</param>
/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
public sealed record TokenSummary(
    string Name,
    IReadOnlyList<string> Policies,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? CreatedBy,
    string Status);
