namespace PgRotate.Scheduling;

/// <summary>How the <see cref="SchedulerLoop"/> paces itself.</summary>
public sealed record SchedulerOptions
{
    /// <summary>How many rotations run at once: a backlog after downtime is caught up this many at a time.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>
    /// The longest the loop sleeps between looks at the store, however far the next due time is: secrets added or
    /// changed by another process (which this one is not told about) are seen within this long.
    /// </summary>
    public TimeSpan MaxSleep { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause after a secret's first failure; it doubles with each further failure in a row.</summary>
    internal TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest pause between attempts at a secret that keeps failing.</summary>
    internal TimeSpan MaxBackoff { get; init; } = TimeSpan.FromHours(1);
}
