namespace PgRotate.Contracts;

/// <summary>One version of a secret without its password: which login, which stage, and when.</summary>
public sealed record VersionSummary(
    int Version,
    string Username,
    CredentialStage Stage,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? ValidUntil);
