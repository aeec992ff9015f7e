namespace PgRotate.Contracts;

/// <summary>A secret's settings and versions as <c>secret show</c> gives them: never a password.</summary>
/// <param name="Grace">How long the previous login stays valid after a rotation (e.g. <c>1h</c>); null for the default.</param>
public sealed record SecretDetail(
    string Name,
    string Target,
    RotationStrategy Strategy,
    string Group,
    IReadOnlyList<string> Logins,
    string? Schedule,
    string? Grace,
    string? CheckSql,
    AdoptionState Adoption,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextRotationAt,
    IReadOnlyList<VersionSummary> Versions);
