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
    IReadOnlyList<VersionSummary> Versions)
{
    /// <summary>The IANA time zone the cron expression and window are read in; null for UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>The daily hours in which scheduled rotations start, e.g. <c>02:00-05:00</c>; null for any time.</summary>
    public string? Window { get; init; }

    /// <summary>The most a scheduled rotation is delayed at random, e.g. <c>10m</c>; null for none.</summary>
    public string? Jitter { get; init; }
}
