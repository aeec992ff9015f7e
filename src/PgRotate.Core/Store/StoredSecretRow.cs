namespace PgRotate.Store;

/// <summary>
/// A secret row as every store keeps it, column for column, before it is authenticated and parsed: each store reads its
/// own column types into this, and <see cref="StoredValues.OpenSecretRow"/> turns it into a <see cref="Secrets.Secret"/>.
/// </summary>
public sealed record StoredSecretRow(
    string Name,
    string Target,
    string Strategy,
    string Group,
    string LoginA,
    string? LoginB,
    string? Schedule,
    long? GraceMs,
    string? CheckSql,
    string Adoption,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextRotationAt,
    byte[]? Mac);
