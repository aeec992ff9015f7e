namespace PgRotate.Scheduling;

/// <summary>
/// The scheduler's view of one secret it has tried: the last outcome and when, how many attempts in a row failed, when
/// it will try next (null: at the secret's scheduled time), and the last failure's message (never a secret value).
/// </summary>
public sealed record ScheduledSecretStatus(
    string Secret,
    SchedulerOutcome LastOutcome,
    DateTimeOffset LastAttemptAt,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttemptAt,
    string? LastError);
