namespace PgRotate.Contracts;

/// <summary>What <c>secret update</c> changed, and the settings the secret has now.</summary>
/// <param name="Changes">Each change as history records it (a check query only as added, changed or removed); empty when nothing changed.</param>
/// <param name="Schedule">The schedule (e.g. <c>30d</c> or a cron expression); null when it rotates on demand only.</param>
/// <param name="Grace">How long the previous login stays valid after a rotation (e.g. <c>1h</c>); null for the default.</param>
/// <param name="CheckSql">Whether the secret has a check query (never its text).</param>
public sealed record SecretUpdateResult(
    string Name,
    bool Changed,
    IReadOnlyList<string> Changes,
    string? Schedule,
    string? Grace,
    bool CheckSql,
    DateTimeOffset? NextRotationAt)
{
    /// <summary>The IANA time zone the cron expression and window are read in; null for UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>The daily hours in which scheduled rotations start, e.g. <c>02:00-05:00</c>; null for any time.</summary>
    public string? Window { get; init; }

    /// <summary>The most a scheduled rotation is delayed at random, e.g. <c>10m</c>; null for none.</summary>
    public string? Jitter { get; init; }
}
