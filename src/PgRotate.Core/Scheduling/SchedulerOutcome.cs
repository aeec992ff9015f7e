namespace PgRotate.Scheduling;

/// <summary>What the scheduler's last attempt at a secret came to.</summary>
public enum SchedulerOutcome
{
    /// <summary>A new version is current.</summary>
    Rotated,

    /// <summary>The rotation failed; the scheduler backs off before the next attempt.</summary>
    Failed,

    /// <summary>Another process (or replica) was rotating it; that one finishes it.</summary>
    InProgress,

    /// <summary>Due, but its previous login is still inside its grace; tried again when the grace ends.</summary>
    WaitingForGrace,
}
