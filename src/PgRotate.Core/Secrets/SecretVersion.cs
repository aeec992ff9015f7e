using PgRotate.Crypto;

namespace PgRotate.Secrets;

/// <summary>One generated credential of a secret.</summary>
public sealed record SecretVersion(
    string Secret,
    int Number,
    string Username,
    SecretText Password,
    Stage Stage,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? ValidUntil);
