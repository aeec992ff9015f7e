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
    SecretStatus Status)
{
    /// <summary>The IANA time zone the cron expression and window are read in; null for UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>The daily hours in which scheduled rotations start, e.g. <c>02:00-05:00</c>; null for any time.</summary>
    public string? Window { get; init; }

    /// <summary>The most a scheduled rotation is delayed at random, e.g. <c>10m</c>; null for none.</summary>
    public string? Jitter { get; init; }

    /// <summary>
    /// How many scheduled rotations of this secret failed in a row, as the server's scheduler saw them; 0 when its last
    /// attempt succeeded, and always 0 outside <c>pgrotate serve</c> (no scheduler runs there).
    /// </summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>When the scheduler tries a failing secret again (its backoff ends); null when it is not backing off.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>Why the last scheduled rotation failed (an error message, never a secret value); null when it did not.</summary>
    public string? LastError { get; init; }
}
