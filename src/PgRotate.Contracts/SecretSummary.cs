namespace PgRotate.Contracts;

/// <summary>One secret as <c>secret list</c> shows it: never a password.</summary>
public sealed record SecretSummary(
    string Name,
    string Target,
    RotationStrategy Strategy,
    string Group,
    IReadOnlyList<string> Logins,
    string? CurrentLogin,
    int? Version,
    DateTimeOffset? RotatedAt,
    string? Schedule,
    DateTimeOffset? NextRotationAt,
    SecretStatus Status);
