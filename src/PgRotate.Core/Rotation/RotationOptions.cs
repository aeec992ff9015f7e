namespace PgRotate.Rotation;

/// <summary>How a rotation behaves when it meets trouble.</summary>
public sealed record RotationOptions
{
    /// <summary>How long transient failures are retried before the rotation stops (to be resumed later).</summary>
    internal TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long to wait for another process's rotation of the same secret; null: fail at once.</summary>
    public TimeSpan? LockWait { get; init; }
}
