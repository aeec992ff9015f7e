namespace PgRotate.Server.VaultCompatibility;

/// <summary>
/// <c>data</c> of <c>GET /v1/auth/token/lookup-self</c> in Vault's fields. <see cref="Id"/>, which in Vault echoes the
/// token itself, is empty: pgrotate never sends a token back (the caller has it already). <see cref="Accessor"/> and
/// <see cref="DisplayName"/> are the token's name (what <c>pgrotate token revoke</c> takes), <see cref="Policies"/> its
/// grants (<c>lease:orders/*</c>); pgrotate tokens cannot be renewed, so <see cref="Renewable"/> is false and
/// <see cref="Ttl"/> counts down to <see cref="ExpireTime"/> (0 and null for a token without an end).
/// </summary>
internal sealed record VaultTokenData(
    string Accessor,
    long CreationTime,
    long CreationTtl,
    string DisplayName,
    string EntityId,
    DateTimeOffset? ExpireTime,
    long ExplicitMaxTtl,
    string Id,
    DateTimeOffset IssueTime,
    IReadOnlyDictionary<string, string>? Meta,
    int NumUses,
    bool Orphan,
    string Path,
    IReadOnlyList<string> Policies,
    bool Renewable,
    long Ttl,
    string Type);
