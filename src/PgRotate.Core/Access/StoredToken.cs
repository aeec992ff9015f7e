namespace PgRotate.Access;

/// <summary>
/// A token as the store keeps it: its name, the SHA-256 of the token text (never the text), what it is granted, and
/// when it was made, ends and was revoked. <see cref="Hash"/> is never shown; <c>token list</c> shows the rest.
/// </summary>
public sealed record StoredToken(
    string Name,
    byte[] Hash,
    IReadOnlyList<TokenPolicy> Policies,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? CreatedBy)
{
    /// <summary>The first bytes of the hash in hex, what the store looks a presented token up by (see <see cref="TokenHashes.Hint"/>).</summary>
    public string Hint => TokenHashes.Hint(Hash);

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } end && end <= now;

    internal bool IsRevoked => RevokedAt is not null;
}
